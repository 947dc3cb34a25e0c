// Progressive enhancement only: every page works without this file.
"use strict";

// Forms that destroy something ask first.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Copy buttons: data-copy="#selector" copies that element's text.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  const status = button.parentElement.querySelector(".copy-status");
  if (!source) return;
  const text = source.textContent.trim();
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch (_) {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    copied = document.execCommand && document.execCommand("copy");
  }
  if (status) status.textContent = copied ? "Copied!" : "Press Ctrl+C to copy.";
  button.dataset.copied = copied ? "true" : "false";
});

// Print buttons (the QR code's card prints alone: see the print styles).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// Tabs (WAI-ARIA tabs pattern): one panel at a time, arrow keys move.
function setupTabs(root) {
  const tabs = Array.from(root.querySelectorAll('[role="tab"]'));
  const panels = Array.from(root.querySelectorAll('[role="tabpanel"]'));
  const show = (id, focus) => {
    tabs.forEach((tab) => {
      const on = tab.dataset.tab === id;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      if (on && focus) tab.focus();
    });
    panels.forEach((panel) => { panel.hidden = panel.dataset.panel !== id; });
    root.dataset.activeTab = id;
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => show(tab.dataset.tab, false));
    tab.addEventListener("keydown", (event) => {
      let next = null;
      if (event.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
      if (event.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
      if (event.key === "Home") next = tabs[0];
      if (event.key === "End") next = tabs[tabs.length - 1];
      if (next) { event.preventDefault(); show(next.dataset.tab, true); }
    });
  });
  // Links in the error summary open the tab that holds the field.
  root.querySelectorAll('.form-summary a[href^="#"]').forEach((link) => {
    link.addEventListener("click", (event) => {
      const field = root.querySelector(link.getAttribute("href"));
      const panel = field && field.closest('[role="tabpanel"]');
      if (!panel) return;
      event.preventDefault();
      show(panel.dataset.panel, false);
      const focusable = field.matches("input, select, textarea") ? field : field.querySelector("input, select, textarea");
      if (focusable) focusable.focus();
    });
  });
  // Back and Next between the tabs, at the foot of each panel.
  panels.forEach((panel, i) => {
    const steps = document.createElement("div");
    steps.className = "tab-steps";
    const step = (to, text, next) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = next ? "button next" : "button";
      button.textContent = text;
      button.addEventListener("click", () => show(to.dataset.panel, true));
      steps.append(button);
    };
    const label = (p) => {
      const tab = tabs.find((t) => t.dataset.tab === p.dataset.panel);
      return tab ? tab.textContent.trim() : "";
    };
    if (i > 0) step(panels[i - 1], `← ${label(panels[i - 1])}`, false);
    if (i < panels.length - 1) step(panels[i + 1], `Next: ${label(panels[i + 1])} →`, true);
    panel.append(steps);
  });
  show(root.dataset.activeTab || tabs[0].dataset.tab, false);
}

// The coupon form: show the fields of the chosen discount type and duration.
function setupCouponForm(form) {
  const value = (name) => {
    const checked = form.querySelector(`input[name="${name}"]:checked`);
    return checked ? checked.value : "";
  };
  const toggle = (selector, on) => {
    form.querySelectorAll(selector).forEach((el) => {
      el.hidden = !on;
      el.querySelectorAll("input, select").forEach((input) => { input.disabled = !on; });
    });
  };
  const currency = form.querySelector('select[name="currency"]');
  const percent = form.querySelector('input[name="percent_off"]');
  const fullBox = form.querySelector("[data-full-discount]");
  const update = () => {
    const type = value("discount_type");
    if (!type) return; // locked terms: nothing to toggle
    toggle(".when-percent", type === "percent");
    toggle(".when-value", type === "value");
    toggle(".when-repeating", value("duration") === "repeating");
    if (type === "value" && currency && !currency.value) currency.value = currency.dataset.storeCurrency || "";
    if (fullBox) {
      const full = type === "percent" && percent && parseFloat(percent.value) === 100;
      fullBox.classList.toggle("shown", full || !fullBox.hasAttribute("data-quiet"));
    }
  };
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
  setupSummary(form);
  setupCaseWarning(form);
  setupProductFilter(form);
}

// The coupon form's one-line summary above the tabs, e.g. "20% off once,
// every product, 100 uses, until Dec 31", kept up to date as fields change.
function setupSummary(form) {
  const line = form.querySelector("[data-summary]");
  if (!line) return;
  const field = (name) => {
    const inputs = Array.from(form.querySelectorAll(`[name="${name}"]`));
    const checked = inputs.find((i) => (i.type === "radio" || i.type === "checkbox") && i.checked);
    if (checked) return checked.value;
    const plain = inputs.find((i) => i.type !== "radio" && i.type !== "checkbox");
    return plain ? plain.value.trim() : "";
  };
  const day = (value) => {
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return "";
    const options = { month: "short", day: "numeric" };
    if (date.getFullYear() !== new Date().getFullYear()) options.year = "numeric";
    return date.toLocaleDateString("en-US", options);
  };
  const update = () => {
    const parts = [];
    const type = field("discount_type");
    let discount = "";
    if (type === "percent" && field("percent_off")) discount = `${field("percent_off")}% off`;
    if (type === "value" && field("amount_off")) {
      const currency = field("currency");
      const amount = parseFloat(field("amount_off").replace(",", "."));
      try {
        discount = `${new Intl.NumberFormat("en-US", { style: "currency", currency }).format(amount)} off`;
      } catch (_) {
        discount = `${field("amount_off")} ${currency} off`;
      }
    }
    const duration = field("duration");
    const months = field("duration_in_months");
    const when = duration === "forever" ? "forever"
      : duration === "repeating" ? (months ? `for ${months} billing cycle${months === "1" ? "" : "s"}` : "for some cycles")
      : duration === "once" ? "once" : "";
    if (discount) parts.push([discount, when].filter(Boolean).join(" "));
    else parts.push("no discount chosen yet", when);
    const products = Array.from(form.querySelectorAll('input[name="applies_to"]:checked'));
    if (products.length === 0) parts.push("every product");
    else if (products.length === 1) {
      const name = products[0].closest("label").querySelector("strong");
      parts.push(`only ${name ? name.textContent : "1 product"}`);
    } else parts.push(`only ${products.length} products`);
    const limit = parseInt(field("max_redemptions").replace(/[,\s]/g, ""), 10);
    parts.push(Number.isNaN(limit) ? "no limit" : `${limit.toLocaleString("en-US")} use${limit === 1 ? "" : "s"}`);
    if (form.querySelector('input[name="once_per_customer"]:checked')) parts.push("once per customer");
    const from = field("starts_at") ? day(field("starts_at")) : "";
    const until = field("redeem_by") ? day(field("redeem_by")) : "";
    if (from) parts.push(`from ${from}`);
    if (until) parts.push(`until ${until}`);
    const code = field("code");
    line.textContent = (code ? `${code}: ` : "") + parts.filter(Boolean).join(", ");
    line.hidden = false;
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
}

// A new code that differs from another coupon's only in case is allowed,
// but the form says so as it is typed (the server says it again on save).
function setupCaseWarning(form) {
  const warning = form.querySelector("[data-case-warning]");
  const input = form.querySelector('input[name="code"]');
  if (!warning || !input) return;
  let timer = null;
  let asked = 0;
  const check = async () => {
    const code = input.value.trim();
    const ticket = ++asked;
    if (!code) { warning.hidden = true; return; }
    let found;
    try {
      const response = await fetch(`${warning.dataset.choices}?q=${encodeURIComponent(code)}`, {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      if (!response.ok) return;
      found = await response.json();
    } catch (_) {
      return;
    }
    if (ticket !== asked) return;
    const twins = found
      .filter((c) => String(c.id) !== warning.dataset.self)
      .filter((c) => c.code !== code && c.code.toUpperCase() === code.toUpperCase())
      .map((c) => c.code);
    warning.hidden = twins.length === 0;
    warning.textContent = twins.length === 0 ? "" :
      `${twins.join(", ")} already exists, differing only in upper and lower case. You can still use ${code}, but a customer who types it may get the other one.`;
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
  check();
}

// The "Only" tab's products: with many of them, a box narrows the list
// as you type (every product stays in the form, ticked or not).
function setupProductFilter(form) {
  const box = form.querySelector("[data-product-filter]");
  if (!box) return;
  const labels = Array.from(form.querySelectorAll('input[name="applies_to"]')).map((i) => i.closest("label"));
  const count = form.querySelector("[data-product-count]");
  box.closest(".product-filter").hidden = false;
  box.addEventListener("input", () => {
    const q = box.value.trim().toLowerCase();
    let shown = 0;
    labels.forEach((label) => {
      const on = !q || label.textContent.toLowerCase().includes(q) || label.querySelector("input").checked;
      label.hidden = !on;
      if (on) shown += 1;
    });
    if (count) count.textContent = q ? `${shown} of ${labels.length} shown` : "";
  });
}

// Coupon pickers (web::picker): typing in the search box refills the select
// with the matching coupons, keeping the chosen one; one match is chosen.
function setupPicker(root) {
  const search = root.querySelector("[data-picker-search]");
  const select = root.querySelector("select");
  const note = root.querySelector("[data-picker-note]");
  if (!search || !select) return;
  let timer = null;
  let asked = 0;
  const refill = async () => {
    const q = search.value.trim();
    const ticket = ++asked;
    let found;
    try {
      const url = `${search.dataset.pickerSearch}?q=${encodeURIComponent(q)}`;
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      found = await response.json();
    } catch (_) {
      return;
    }
    if (ticket !== asked) return; // a newer search is on its way
    const chosen = select.value;
    const kept = Array.from(select.options).filter((o) => o.value === "" || o.value === chosen);
    select.replaceChildren(...kept);
    found.filter((c) => String(c.id) !== chosen).forEach((c) => {
      const option = new Option(c.label, String(c.id));
      option.dataset.remaining = c.remaining;
      select.add(option);
    });
    if (q && found.length === 1) select.value = String(found[0].id);
    if (note) note.textContent = q ? `${found.length} found for “${q}”.` : "";
    select.dispatchEvent(new Event("change", { bubbles: true }));
  };
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refill, 200);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    clearTimeout(timer);
    refill();
  });
}

// The new set form warns when it asks for more codes than the coupon has uses left.
function setupSetForm(form) {
  const select = form.querySelector('select[name="coupon_id"]');
  const count = form.querySelector('input[name="count"]');
  const warning = form.querySelector("[data-capacity-warning]");
  if (!select || !count || !warning) return;
  const update = () => {
    const option = select.selectedOptions[0];
    const raw = option ? option.dataset.remaining : undefined;
    const left = raw ? parseInt(raw, 10) : NaN;
    const n = parseInt(count.value.replace(/[,\s]/g, ""), 10);
    const over = !Number.isNaN(left) && !Number.isNaN(n) && n > left;
    warning.hidden = !over;
    if (over) {
      const f = (v) => v.toLocaleString("en-US");
      warning.textContent = `The coupon has ${f(left)} uses left: only ${f(left)} of these ${f(n)} codes could be redeemed. Raise its limit, or make fewer codes.`;
    }
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
}

// Bulk actions: the list's checkboxes belong to the bulk form (form="…");
// its button counts them, and a header box selects the whole page.
function setupBulk(form) {
  const button = form.querySelector("[data-bulk-button]");
  const boxes = () => Array.from(document.querySelectorAll(`input[type="checkbox"][form="${form.id}"]`));
  const all = document.querySelector("[data-select-all]");
  const update = () => {
    const n = boxes().filter((b) => b.checked).length;
    button.disabled = n === 0;
    button.textContent = n === 0 ? `${button.dataset.label} selected` : `${button.dataset.label} ${n} selected`;
    if (all) {
      all.checked = n > 0 && n === boxes().length;
      all.indeterminate = n > 0 && n < boxes().length;
    }
  };
  if (all) {
    all.hidden = false;
    all.addEventListener("change", () => {
      boxes().forEach((b) => { b.checked = all.checked; });
      update();
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target.matches && event.target.matches(`input[form="${form.id}"]`)) update();
  });
  update();
}

// The share card's link builder: typing a quantity rebuilds the URL, the
// QR code and its downloads at once (the form's button does the same
// without JavaScript, by reloading the page).
function setupLinkBuilder(form) {
  const card = form.closest(".share");
  const url = card.querySelector("#share-url");
  const image = card.querySelector("[data-qr-image]");
  const links = card.querySelectorAll("[data-qr-link]");
  const note = card.querySelector("[data-cart-note]");
  const update = () => {
    const cart = Array.from(form.querySelectorAll("input.qty"))
      .map((input) => [input.name, parseInt(input.value, 10)])
      .filter(([, n]) => n >= 1 && n <= 999)
      .map(([name, n]) => `${name}=${n}`)
      .join("&");
    url.textContent = cart ? `${form.dataset.plainUrl}&${cart}` : form.dataset.plainUrl;
    const query = cart ? `?${cart}` : "";
    image.src = `${form.dataset.qrPath}.svg${query}`;
    links.forEach((link) => { link.href = `${form.dataset.qrPath}.${link.dataset.qrLink}${query}`; });
    if (note) note.textContent = cart ? " and the cart filled in as chosen below" : "";
    const status = card.querySelector(".copy-status");
    if (status) status.textContent = "";
  };
  form.addEventListener("input", update);
}

// On a phone a list's filters fold away behind one button (unless some are
// in use), so the list starts on the first screen; without JavaScript, or
// on a wider screen, they stay open.
if (window.matchMedia && window.matchMedia("(max-width: 600px)").matches) {
  document.querySelectorAll("details.filters-fold:not([data-active])").forEach((d) => { d.open = false; });
}

document.querySelectorAll("form[data-link-builder]").forEach(setupLinkBuilder);
document.querySelectorAll("form[data-bulk]").forEach(setupBulk);
document.querySelectorAll("[data-tabs]").forEach(setupTabs);
document.querySelectorAll("[data-picker]").forEach(setupPicker);
document.querySelectorAll(".set-form").forEach(setupSetForm);
document.querySelectorAll(".coupon-form").forEach(setupCouponForm);

// On phones the store navigation scrolls sideways: keep the current section in view.
const activeNav = document.querySelector(".sidenav a.active");
if (activeNav && activeNav.scrollIntoView) activeNav.scrollIntoView({ block: "nearest", inline: "center" });
