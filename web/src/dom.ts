/**
 * The one way this client builds DOM. Text goes in through `textContent` only: nothing a user typed
 * (messages, names, errors) is ever parsed as HTML.
 */
export interface ElementProps {
  class?: string;
  text?: string;
  /** Attributes set with setAttribute (data-*, type, placeholder, …). */
  attrs?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: Node[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** Removes every child of `node`. */
export function clear(node: Element): void {
  node.replaceChildren();
}
