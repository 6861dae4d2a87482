//! A private, throwaway PostgreSQL cluster for the crash suite: made with `initdb` under the
//! working directory, listening on a free loopback port, and killed with SIGKILL (the
//! postmaster and every process it forked) as a crashed database server would be. The shared
//! cluster a developer or CI uses is never touched.

use anyhow::Context;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A cluster of our own.
pub struct PrivateCluster {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    /// The port it listens on (127.0.0.1 only, no Unix socket).
    pub port: u16,
    /// When run as root: the `postgres` account's uid and gid (PostgreSQL refuses root).
    owner: Option<(u32, u32)>,
    postmaster: Option<Child>,
}

/// The directory holding `initdb`, `postgres` and `pg_isready`: the newest
/// `/usr/lib/postgresql/*/bin`, else `pg_config --bindir`.
pub fn find_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return Some(bin);
    }
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    (bin.join("initdb").exists() && bin.join("postgres").exists()).then_some(bin)
}

fn id_of(flag: &str, user: &str) -> Option<u32> {
    let out = Command::new("id").args([flag, user]).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

impl PrivateCluster {
    /// Makes a fresh cluster in `dir` (replacing one left there), with trust authentication.
    pub fn create(bin: PathBuf, dir: &Path, port: u16) -> anyhow::Result<Self> {
        let root = std::fs::metadata("/proc/self")?.uid() == 0;
        let owner = if root {
            Some((
                id_of("-u", "postgres").context("running as root needs a postgres account")?,
                id_of("-g", "postgres").context("running as root needs a postgres account")?,
            ))
        } else {
            None
        };
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir, Some(uid), Some(gid))?;
        }
        let cluster = Self {
            data: dir.join("data"),
            log: dir.join("postgres.log"),
            bin,
            port,
            owner,
            postmaster: None,
        };
        let out = cluster
            .command("initdb")
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "-D",
            ])
            .arg(&cluster.data)
            .output()
            .context("running initdb")?;
        anyhow::ensure!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(cluster)
    }

    /// A command from the cluster's bin directory, as the `postgres` account when we are root
    /// (`setpriv` execs, so a started server's process id is the child's).
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match self.owner {
            Some((uid, gid)) => {
                let mut c = Command::new("setpriv");
                c.arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={gid}"))
                    .arg("--clear-groups")
                    .arg("--")
                    .arg(path);
                c
            }
            None => Command::new(path),
        }
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (recovering from a crash if need be) and waits until it accepts
    /// connections; returns how long that took.
    pub async fn start(&mut self) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(&self.data)
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "unix_socket_directories="])
            .args(["-c", "max_connections=60"])
            .args(["-c", "shared_buffers=32MB"])
            // The defaults, stated: every acknowledged commit is on disk.
            .args(["-c", "fsync=on", "-c", "synchronous_commit=on"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting postgres")?;
        self.postmaster = Some(child);
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(child) = self.postmaster.as_mut()
                && let Some(status) = child.try_wait()?
            {
                anyhow::bail!("postgres exited ({status}); see {}", self.log.display());
            }
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(started.elapsed());
            }
            anyhow::ensure!(Instant::now() < deadline, "postgres did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL to the postmaster and to every process it forked (backends, WAL writer,
    /// checkpointer), as a crash of the database server; returns how many were killed.
    pub fn kill(&mut self) -> anyhow::Result<usize> {
        let Some(mut postmaster) = self.postmaster.take() else {
            return Ok(0);
        };
        let children = children_of(postmaster.id());
        postmaster.kill()?;
        postmaster.wait()?;
        for pid in &children {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while children
            .iter()
            .any(|pid| Path::new(&format!("/proc/{pid}")).exists())
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(children.len() + 1)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// Processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|child| {
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')')
                        .and_then(|(_, rest)| rest.split_whitespace().nth(1).map(str::to_owned))
                })
                .and_then(|ppid| ppid.parse::<u32>().ok())
                == Some(pid)
        })
        .collect()
}
