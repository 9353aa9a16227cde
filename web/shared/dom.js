// Building the pages' DOM: one element builder and one query helper for every page, so
// that a page reads as the tree it draws.

/** The first element matching `selector` in `root` (the document by default). */
export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * An element: `el("td", { class: "num", "data-value": v, onclick: f }, "text", child)`.
 * `class` sets the class name, `text` the text, a function named `on…` becomes a listener;
 * every other property is an attribute (`true` for a bare one such as `required`).
 * Properties that are null, undefined or false are left out, and so are null and
 * undefined children, so a condition can stand in the call.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}
