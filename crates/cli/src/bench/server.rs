//! The server under test, run as a separate process (this binary's `serve`), and what `/proc`
//! tells about its CPU time and memory, and the database server's.

use anyhow::Context;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `sehat serve`.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Server {
    /// Starts `sehat serve` on `database` with the bench's keys and limits, and waits until it
    /// answers `/readyz`.
    pub async fn start(
        database: &str,
        dir: &Path,
        extra_env: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let log = std::fs::File::create(dir.join("server.log"))?;
        Self::start_at(addr, database, dir, log, extra_env).await
    }

    /// Starts `sehat serve` at `addr` (a restart takes its predecessor's address), its
    /// standard error going to `log`, and waits until it answers `/readyz`.
    pub async fn start_at(
        addr: SocketAddr,
        database: &str,
        dir: &Path,
        log: std::fs::File,
        extra_env: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("finding this binary")?;
        let mut command = Command::new(exe);
        command
            .arg("serve")
            .env("SEHAT__SERVER__LISTEN", addr.to_string())
            .env("SEHAT__DATABASE__URL", database)
            .env("SEHAT__KEYS__DATA_DIR", dir.join("keys"))
            .env("SEHAT__OTP__DELIVERY", "sandbox")
            // The load client registers thousands of people from one address.
            .env("SEHAT__OTP__PER_ADDRESS_PER_HOUR", "0")
            // and holds hundreds of connections from that one address.
            .env("SEHAT__SERVER__MAX_CONNECTIONS_PER_ADDRESS", "0")
            .env("SEHAT__LOG__FILTER", "warn")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let child = command.spawn().context("starting sehat serve")?;
        let mut server = Self { child, addr };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = server.child.try_wait()? {
                anyhow::bail!(
                    "sehat serve exited ({status}); see its log in {}",
                    dir.display()
                );
            }
            if ready(addr).await {
                return Ok(server);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "sehat serve did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server (SIGTERM, then SIGKILL after 10 s).
    pub fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// Kills the server with SIGKILL, as a crash would, and reaps it.
    pub fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

async fn ready(addr: SocketAddr) -> bool {
    let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
        return false;
    };
    drop(stream);
    let call = super::load::Call::get("ready", "/readyz".into());
    let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
        return false;
    };
    let Ok((mut sender, conn)) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await
    else {
        return false;
    };
    tokio::spawn(conn);
    matches!(super::load::send(&mut sender, &call).await, Ok((s, _)) if s.is_success())
}

pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// CPU time (user + system) of a process, in milliseconds; 0 once it is gone.
pub fn cpu_ms(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // Fields after the command name, which may hold spaces, closed by the last ')'.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    ticks * 1000 / clock_ticks()
}

fn clock_ticks() -> u64 {
    // USER_HZ: 100 on every Linux this runs on; `getconf CLK_TCK` confirms.
    100
}

/// CPU milliseconds of every PostgreSQL server process (backends come and go; a run sums the
/// processes alive at both ends, which with a pooled server is all of them).
pub fn postgres_cpu() -> Vec<(u32, u64)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|pid| (pid, cpu_ms(pid)))
        .collect()
}

/// CPU milliseconds the PostgreSQL processes spent between two readings.
pub fn postgres_cpu_since(before: &[(u32, u64)]) -> u64 {
    postgres_cpu()
        .iter()
        .map(|(pid, now)| {
            let was = before
                .iter()
                .find(|(p, _)| p == pid)
                .map_or(0, |(_, ms)| *ms);
            now.saturating_sub(was)
        })
        .sum()
}

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
