/**
 * The only way this UI makes elements: createElement plus textContent. Data (patch text, field
 * names, labels) never goes through innerHTML, and attribute names are always literals here;
 * values set from data are limited to inert attributes (id, aria-*, title, data-*).
 */

export interface ElementOptions {
  readonly className?: string;
  readonly text?: string;
  readonly attrs?: Readonly<Record<string, string>>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElementOptions = {},
  ...children: readonly (Node | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (options.className) e.className = options.className;
  if (options.text !== undefined) e.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) e.setAttribute(name, value);
  for (const c of children) if (c) e.appendChild(c);
  return e;
}

/** Text a screen reader hears but the eye does not see (styled in timeline.css). */
export function srOnly(text: string): HTMLSpanElement {
  return h('span', { className: 'sr-only', text });
}

export function clear(e: Element): void {
  while (e.firstChild) e.removeChild(e.firstChild);
}
