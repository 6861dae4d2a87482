// The web app's journeys in a real browser: Debian's headless Chromium driven by Playwright.
//
//   node journeys.cjs <base url> <admin token> <output dir> <lang>[,<lang>…]
//
// Every page visited is checked: no console error, no untranslated message (⟦missing⟧), no
// serious or critical axe-core violation; a screenshot of each is saved in <output dir>, and its
// transferred size and time to first byte go to <output dir>/pages-<lang>.json.
// Exit 0 when every journey passed; otherwise the first failure is printed and the exit is 1.
"use strict";

const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");
const assert = require("assert/strict");

const [base, adminToken, outDir, langList] = process.argv.slice(2);
const langs = (langList || "en").split(",");
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";

// ------------------------------------------------------------------ helpers

function todayIst(offsetDays = 0) {
  const t = new Date(Date.now() + 5.5 * 3600 * 1000 + offsetDays * 86400 * 1000);
  return t.toISOString().slice(0, 10);
}

function random(n) {
  return Math.floor(Math.random() * n);
}

function mobile(first) {
  return String(first) + String(100000000 + random(900000000)).slice(0, 9);
}

function pan() {
  const L = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const l = () => L[random(26)];
  return l() + l() + l() + "P" + l() + String(1000 + random(9000)) + l();
}

async function admin(method, url, body) {
  const response = await fetch(base + url, {
    method,
    headers: { authorization: "Bearer " + adminToken, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${url}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/// A browser context in a language, with the page's problems collected.
async function open(browser, lang) {
  const context = await browser.newContext({
    locale: lang === "hi" ? "hi-IN" : "en-IN",
    acceptDownloads: true,
    viewport: { width: 412, height: 915 }, // a common low-end Android phone
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") page.problems.push(`console: ${m.text()} (${page.url()})`);
  });
  page.on("pageerror", (e) => page.problems.push(`page error: ${e.message} (${page.url()})`));
  return { context, page };
}

const report = {};

/// Checks the page as it is now and saves its screenshot as <lang>-<name>.png.
async function check(page, lang, name) {
  await page.waitForLoadState("load");
  assert.deepEqual(page.problems, [], `problems on ${name}`);
  const html = await page.content();
  assert.ok(!html.includes("⟦missing⟧"), `${name} shows an untranslated message: ${html.match(/⟦missing⟧[\w-]*/)}`);
  const wanted = lang === "hi" ? "hi-IN" : "en-IN";
  assert.equal(await page.getAttribute("html", "lang"), wanted, `${name} is not in ${wanted}`);
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ["violations"] }),
  );
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    [],
    `accessibility violations on ${name}`,
  );
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const resources = performance.getEntriesByType("resource");
    return {
      url: location.pathname + location.search,
      html_bytes: nav ? nav.transferSize : 0,
      total_bytes: (nav ? nav.transferSize : 0) + resources.reduce((s, r) => s + r.transferSize, 0),
      ttfb_ms: nav ? Math.round(nav.responseStart - nav.requestStart) : 0,
    };
  });
  report[`${lang}-${name}`] = timing;
  await page.screenshot({ path: path.join(outDir, `${lang}-${name}.png`), fullPage: true });
}

/// The download a click starts, as bytes.
async function download(page, selector) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  return fs.readFileSync(await file.path());
}

/// The error a page shows, for a failure's message.
async function alertText(page) {
  const alert = await page.$("[role=alert]");
  return alert ? (await alert.textContent()).trim() : "(no error shown)";
}

async function submit(page, form) {
  await Promise.all([page.waitForNavigation(), page.locator(form).locator("button[type=submit]").first().click()]);
}

async function otpLogin(page, loginPath, number) {
  await page.goto(base + loginPath);
  await page.fill("#mobile", number);
  await submit(page, "form:has(#mobile)");
  const otp = await page.getAttribute("[data-sandbox-otp]", "data-sandbox-otp");
  assert.match(otp || "", /^\d{6}$/, "the sandbox OTP is on the page");
  // For the test's scan of the server's log: no OTP may appear there.
  console.log(JSON.stringify({ otp }));
  await page.fill("#otp", otp);
  await submit(page, "form:has(#otp)");
}

async function addMember(page, name, year, gender) {
  await page.fill("#name", name);
  await page.fill("#birth_year", String(year));
  await page.check(`input[name=gender_id][value="${gender}"]`);
  await page.selectOption("#photo_id_type", "6"); // PAN card
  await page.fill("#photo_id_number", pan());
  await page.check("input[name=consent]");
  await submit(page, "form[action='/family/add']");
  assert.match(page.url(), /notice=member-added/, `adding ${name}: ${page.url()}`);
}

/// The family's people on /family: name → reference id.
async function members(page) {
  return page.$$eval("article.member h2", (hs) =>
    Object.fromEntries(hs.map((h) => [h.textContent.trim(), h.id.slice(2)])),
  );
}

async function seats(page, session) {
  const text = await page.textContent(`[data-seats="${session}"][data-dose="1"]`);
  return Number(text.replace(/[^0-9]/g, ""));
}

async function book(page, centre, session, reference) {
  await page.goto(`${base}/centre/${centre}`);
  const form = `#s-${session} form[action='/book']`;
  await page.check(`${form} input[name=beneficiary][value="${reference}"]`);
  await submit(page, form);
  assert.match(page.url(), /notice=booked/, `booking: ${page.url()}`);
}

// ------------------------------------------------------------------ the journeys

async function journeys(browser, lang) {
  // The administrator's fixtures: a centre with sessions today and tomorrow (all day).
  const tag = `${lang}${random(1e6)}`;
  const centre = (
    await admin("POST", "/admin/v1/centers", {
      name: `Browser Test PHC ${tag}`,
      district_id: 363,
      pincode: "411038",
      area: "Urban",
      vaccines: ["COVISHIELD"],
    })
  ).center_id;
  const opened = await admin("POST", `/admin/v1/centers/${centre}/sessions`, {
    from: todayIst(),
    to: todayIst(1),
    vaccine: "COVISHIELD",
    min_age: 18,
    capacity_online: 50,
    capacity_walkin: 5,
    slots: [{ name: "All day", timings: "00:00-23:59", capacity: 50 }],
  });
  const [today, tomorrow] = opened.sessions.map((s) => s.session_id);

  // A citizen logs in, adds two members, finds the centre by pincode, books both.
  const a = await open(browser, lang);
  const page = a.page;
  await page.goto(base + "/");
  await check(page, lang, "home");
  await otpLogin(page, "/login", mobile(9));
  assert.match(page.url(), /\/family/);
  await check(page, lang, "family-empty");
  await addMember(page, "Asha Kulkarni", 1985, 2);
  await addMember(page, "Ravi Kulkarni", 1990, 1);
  const people = await members(page);
  const [asha, ravi] = [people["Asha Kulkarni"], people["Ravi Kulkarni"]];
  assert.ok(asha && ravi, `both members listed: ${JSON.stringify(people)}`);
  await check(page, lang, "family");

  await page.goto(base + "/");
  await page.fill("#pincode", "411038");
  await submit(page, "form:has(#pincode)");
  await check(page, lang, "find");
  await Promise.all([page.waitForNavigation(), page.click(`a[href="/centre/${centre}"]`)]);
  await check(page, lang, "centre");
  const before = await seats(page, today);
  await book(page, centre, today, asha);
  await book(page, centre, today, ravi);
  await page.goto(`${base}/centre/${centre}`);
  assert.equal(await seats(page, today), before - 2, "two seats fewer after two bookings");

  // Asha's appointment moves to tomorrow; Ravi's is cancelled.
  await page.goto(base + "/family");
  await check(page, lang, "family-booked");
  await Promise.all([
    page.waitForNavigation(),
    page.click(`article:has(#m-${asha}) a[href*="?move="]`),
  ]);
  await check(page, lang, "centre-reschedule");
  await submit(page, `#s-${tomorrow} form[action$='/reschedule']`);
  assert.match(page.url(), /notice=rescheduled/, page.url());
  await submit(page, `article:has(#m-${ravi}) form[action$='/cancel']`);
  assert.match(page.url(), /notice=cancelled/, page.url());
  await page.goto(`${base}/centre/${centre}`);
  assert.equal(await seats(page, today), before, "both seats of today are free again");
  await page.goto(base + "/family");
  const slip = await download(page, `article:has(#m-${asha}) a[href$="/slip"]`);
  assert.equal(slip.subarray(0, 5).toString(), "%PDF-", "the slip is a PDF");

  // A second browser books today: the first one's calendar drops a seat without a reload.
  await page.goto(`${base}/centre/${centre}`);
  await page.waitForSelector("[data-live-pincode]:not([hidden])", { timeout: 5000 });
  const shown = await seats(page, today);
  const b = await open(browser, lang);
  await otpLogin(b.page, "/login", mobile(8));
  await addMember(b.page, "Meena Joshi", 1978, 2);
  const meena = (await members(b.page))["Meena Joshi"];
  await book(b.page, centre, today, meena);
  const booked = Date.now();
  await page.waitForFunction(
    ([s, n]) => {
      const cell = document.querySelector(`[data-seats="${s}"][data-dose="1"]`);
      return cell && Number(cell.textContent.replace(/[^0-9]/g, "")) === n - 1;
    },
    [today, shown],
    { timeout: 2000 },
  );
  report[`${lang}-live-update-ms`] = Date.now() - booked;
  assert.deepEqual(page.problems, []);

  // A vaccinator at the centre records Meena's dose from today's list.
  const deskMobile = mobile(7);
  await admin("POST", `/admin/v1/centers/${centre}/vaccinators`, { name: "Dr. Kavita Rao", mobile: deskMobile });
  const d = await open(browser, lang);
  await otpLogin(d.page, "/desk/login", deskMobile);
  assert.match(d.page.url(), /\/desk/, d.page.url());
  await check(d.page, lang, "desk-today");
  await Promise.all([d.page.waitForNavigation(), d.page.click(`tr[data-ref="${meena}"] a`)]);
  await check(d.page, lang, "desk-person");
  await d.page.selectOption("#vaccine", "COVISHIELD");
  await d.page.fill("#vaccine_batch", "4121Z025");
  await d.page.fill("#dose", "1");
  await submit(d.page, "#record");
  await d.page.waitForSelector("[data-desk-qr]");
  assert.ok(
    await d.page.$eval("[data-desk-qr]", (img) => img.complete && img.naturalWidth > 0),
    "the certificate's QR is shown",
  );
  await check(d.page, lang, "desk-certificate");

  // Meena's family sees the dose and downloads the certificate.
  await b.page.goto(base + "/family");
  await b.page.waitForSelector(`article:has(#m-${meena}) [data-status="partly"]`);
  await check(b.page, lang, "family-vaccinated");
  const certificate = await download(b.page, `a[href="/certificate/${meena}"]`);
  assert.equal(certificate.subarray(0, 5).toString(), "%PDF-", "the certificate is a PDF");
  const certificatePath = path.join(outDir, `${lang}-certificate.pdf`);
  fs.writeFileSync(certificatePath, certificate);
  await verifyJourney(b.page, lang, certificatePath);
  await d.context.close();

  // A citizen's session opens neither the desk nor the admin pages, nor another family's papers.
  await page.goto(base + "/desk");
  assert.match(page.url(), /\/desk\/login/, "a citizen is sent to the desk's login");
  await page.goto(base + "/admin");
  assert.match(page.url(), /\/admin\/login/, "a citizen is sent to the admin's login");
  const other = await page.goto(`${base}/certificate/${meena}`);
  assert.equal(other.status(), 404, "another family's certificate is not found");
  // CSRF: a form posted without its token is refused, and nothing changes.
  await page.goto(base + "/family");
  const refused = await page.evaluate(() =>
    fetch("/family/add", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "name=Intruder&birth_year=1980&gender_id=1&photo_id_type=6&photo_id_number=ABCPE1234F&consent=V1",
    }).then((r) => r.status),
  );
  assert.equal(refused, 403, "a POST without its CSRF token is refused");
  await page.reload();
  assert.equal(Object.keys(await members(page)).length, 2, "nobody was added");

  // The language switch on every page leads to the same page in the other language.
  const other_lang = lang === "hi" ? "en" : "hi";
  await Promise.all([page.waitForNavigation(), page.click(`.langs a[href*="lang=${other_lang}"]`)]);
  assert.equal(await page.getAttribute("html", "lang"), other_lang === "hi" ? "hi-IN" : "en-IN");
  await Promise.all([page.waitForNavigation(), page.click(`.langs a[href*="lang=${lang}"]`)]);

  await a.context.close();
  await b.context.close();
}

/// Anyone checks a certificate at /verify by uploading its PDF.
async function verifyJourney(page, lang, pdf) {
  await page.goto(base + "/verify");
  await check(page, lang, "verify");
  await page.setInputFiles("#file", pdf);
  await submit(page, "form[action^='/verify/file?']");
  assert.equal(await page.getAttribute("[data-verdict]", "data-verdict"), "VALID", "the certificate verifies");
  assert.equal((await page.textContent("[data-verified-name]")).trim(), "Meena Joshi");
  await check(page, lang, "verify-valid");
}

function ddmmyyyy(iso) {
  const [y, m, d] = iso.split("-");
  return `${d}-${m}-${y}`;
}

/// The administrator's pages: the upload with a bad row, sessions, the chart.
async function adminJourney(browser, lang) {
  const { context, page } = await open(browser, lang);
  await page.goto(base + "/admin");
  assert.match(page.url(), /\/admin\/login/, "no session: the login");
  await check(page, lang, "admin-login");
  await page.fill("#token", adminToken);
  await submit(page, "form:has(#token)");
  assert.match(page.url(), /\/admin$/, page.url());
  await page.selectOption("#state_id", { label: "Maharashtra" });
  await submit(page, "form[role=search]");
  assert.match(page.url(), /state_id=21/, page.url());
  await check(page, lang, "admin-centres");

  // The CSV upload: one good row, one bad (a Delhi pincode in Satara), with a progress bar.
  const tag = `${lang}${random(1e6)}`;
  const name = `Uploaded PHC ${tag}`;
  const csv = [
    "State,District,Block,Pincode,Facilityname,InchargeName,Mobile,Lat,Lang,vaccinationtypeID,Startdate,Enddate,onlineAppointmentVaccancy,slots,Vaccancy",
    `Maharashtra,Pune,,411038,${name},,,,,COVISHIELD,${ddmmyyyy(todayIst())},${ddmmyyyy(todayIst(2))},90,Morning 09:00AM-11:00AM;Afternoon 01:00PM-03:00PM,100`,
    `Maharashtra,Satara,,110003,PHC Nowhere ${tag},,,,,COVISHIELD,${ddmmyyyy(todayIst())},${ddmmyyyy(todayIst(2))},90,9AM-11AM,100`,
  ].join("\n");
  const file = path.join(outDir, `${lang}-facilities.csv`);
  fs.writeFileSync(file, csv + "\n");
  await page.goto(base + "/admin/upload");
  await check(page, lang, "admin-upload");
  await page.setInputFiles("#file", file);
  await page.click("form[data-progress] button[type=submit]");
  await page.waitForSelector("[data-row-errors] tr[data-row]", { timeout: 15000 });
  assert.equal(await page.getAttribute("[data-report]", "data-rejected"), "1", "one row refused");
  assert.equal(await page.getAttribute("[data-row-errors] tr[data-row]", "data-row"), "3", "line 3 named");
  assert.equal(await page.getAttribute("#upload-progress", "value"), "0", "a fresh form after the report");
  await check(page, lang, "admin-upload-report");

  // The uploaded centre: open a week of sessions, see them and the chart.
  await page.goto(`${base}/admin?state_id=21&name=${encodeURIComponent(name)}`);
  await Promise.all([page.waitForNavigation(), page.click(`[data-admin-centres] a:text("${name}")`)]);
  const sessionsBefore = await page.locator("[data-admin-sessions] tbody tr").count();
  await page.fill("#capacity_online", "120");
  await submit(page, "form[data-open-sessions]");
  assert.match(page.url(), /notice=admin-sessions-opened/, `${page.url()}: ${await alertText(page)}`);
  const sessionsAfter = await page.locator("[data-admin-sessions] tbody tr").count();
  assert.ok(sessionsAfter >= 7 && sessionsAfter > sessionsBefore, `a week of sessions: ${sessionsBefore} → ${sessionsAfter}`);
  const bars = await page.locator("[data-chart=days] svg.chart rect").count();
  assert.ok(bars >= 14, `the chart draws the days' bars (${bars})`);
  await check(page, lang, "admin-centre");
  await Promise.all([page.waitForNavigation(), page.click("a[href^='/admin/district/']")]);
  assert.ok((await page.locator("[data-chart=district] svg.chart").count()) === 1, "the district chart");
  await check(page, lang, "admin-district");

  // A partner key, shown once; the audit chain, intact.
  await page.goto(`${base}/admin/partners?partner=browser-${tag}`);
  await submit(page, "form[data-issue-key]");
  assert.match((await page.textContent("[data-issued-key]")).trim(), /^sehat_/, "the key is shown once");
  await check(page, lang, "admin-partners");
  await page.goto(base + "/admin/audit");
  await submit(page, "form[action='/admin/audit']");
  assert.equal(await page.getAttribute("[data-audit]", "data-audit"), "intact");
  await check(page, lang, "admin-audit");
  await context.close();
}

(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  try {
    for (const lang of langs) {
      await journeys(browser, lang);
      await adminJourney(browser, lang);
      console.log(`journeys in ${lang}: passed`);
    }
    fs.writeFileSync(path.join(outDir, `pages-${langs.join("-")}.json`), JSON.stringify(report, null, 2));
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
