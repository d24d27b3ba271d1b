// Headless Firefox over WebDriver BiDi, without geckodriver, for the
// browser driver (browser.cjs): the hook goes into the page as a preload
// script; the proxy puts it in front of worker scripts.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { Rpc } = require('./rpc.cjs');
const { startBinary } = require('./browser-procs.cjs');

// Preferences for a throw-away Firefox profile: no first-run pages, no
// updates, no telemetry, nothing fetched from the network.
const FIREFOX_PREFS = {
  'app.update.disabledForTesting': true,
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'browser.aboutwelcome.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'extensions.update.enabled': false,
  'browser.safebrowsing.update.enabled': false,
};

// Headless Firefox, started with `profile` as its profile folder. `opts`:
// {bin, mode (inject|off), hook (its source)}; the console's lines go to
// `consoleLines`.
async function firefox(profile, _modules, consoleLines, opts) {
  const counting = opts.mode !== 'off';
  const HOOK = opts.hook;
  fs.writeFileSync(
    path.join(profile, 'user.js'),
    Object.entries(FIREFOX_PREFS)
      .map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`)
      .join(''),
  );
  const args = ['--headless', '--no-remote', '--profile', profile, '--remote-debugging-port=0', 'about:blank'];
  const browser = { bin: opts.bin, name: 'Firefox', protocol: 'WebDriver BiDi', install: 'install Firefox: apt-get install firefox-esr' };
  const proc = startBinary(browser, args, /WebDriver BiDi listening on (ws:\/\/\S+)/, { MOZ_CRASHREPORTER_DISABLE: '1' });
  const driver = {};
  const bidi = new Rpc(`${await proc.ws}/session`, 'WebDriver BiDi');
  await bidi.opened;
  await bidi.send('session.new', { capabilities: {} });
  bidi.on((msg) => {
    if (msg.method === 'log.entryAdded') {
      const e = msg.params;
      consoleLines.push(e.type === 'javascript' ? `uncaught: ${e.text}` : e.text);
    }
  });
  await bidi.send('session.subscribe', { events: ['log.entryAdded'] });
  const tree = await bidi.send('browsingContext.getTree', { maxDepth: 0 });
  const context = tree.contexts[0].context;
  if (counting) await bidi.send('script.addPreloadScript', { functionDeclaration: `() => { ${HOOK} }` });
  const evaluate = async (expression) => {
    const r = await bidi.send('script.evaluate', { expression, target: { context }, awaitPromise: true });
    if (r.type === 'exception') throw new Error(`the page threw: ${r.exceptionDetails.text}`);
    return r.result && r.result.value;
  };
  driver.navigate = (url) => bidi.send('browsingContext.navigate', { context, url, wait: 'none' });
  driver.pageText = () => evaluate("(document.getElementById('output') || {}).textContent || ''");
  // The page's counters; workers post theirs themselves.
  driver.collect = () => evaluate('globalThis.__wasmRun ? globalThis.__wasmRun.push().then(() => 1) : 0').catch(() => {});
  driver.v8Raw = () => '[]';
  driver.jsCoverage = async () => null;
  driver.close = () => bidi.send('browser.close').catch(() => {});
  return driver;
}

module.exports = { firefox };
