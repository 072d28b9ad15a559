// The scripts' words in the page's language. The server renders the catalogue's entries found in
// static/js into <script type="application/json" id="js-messages"> ({} on English pages), so t()
// and tn() look the English text up there and fall back to it. Placeholders are %(name)s, as in
// the templates and the Python code; `pybabel extract` finds the calls (babel.cfg: keywords t, tn).

let catalogue = null;

function messages() {
  if (catalogue === null) {
    const node = document.getElementById("js-messages");
    try {
      catalogue = node ? JSON.parse(node.textContent) : {};
    } catch {
      catalogue = {};
    }
  }
  return catalogue;
}

function fill(text, vars) {
  // "%%" is a literal "%", as in Python's formatting (the same msgid serves the templates).
  return text.replace(/%\((\w+)\)[sd]|%%/g, (whole, name) => (whole === "%%" ? "%" : name in vars ? String(vars[name]) : whole));
}

/** Return `message` in the page's language with its %(name)s placeholders filled from `vars`. */
export function t(message, vars = {}) {
  const found = messages().messages?.[message];
  return fill(typeof found === "string" && found ? found : message, vars);
}

/** The plural of `t`: the form for the number `n` (also filled in as %(num)d). */
export function tn(singular, plural, n, vars = {}) {
  const data = messages();
  const forms = data.messages?.[singular];
  let text = n === 1 ? singular : plural;
  if (Array.isArray(forms)) {
    const category = new Intl.PluralRules(document.documentElement.lang || "en").select(n);
    const index = data.plural?.[category];
    if (typeof index === "number" && forms[index]) text = forms[index];
  }
  return fill(text, { num: n, ...vars });
}
