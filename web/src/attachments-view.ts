import type { Attachment } from '../../src/protocol/index.js';
import { el } from './dom.js';
import { httpApi } from './http-api.js';
import { t } from './i18n/index.js';

/** Object URLs of the files and thumbnails this page has fetched, by file id (and `:thumb`): fetched once. */
const objectUrls = new Map<string, Promise<string>>();

function objectUrl(token: string, fileId: string, thumbnail: boolean): Promise<string> {
  const key = `${fileId}${thumbnail ? ':thumb' : ''}`;
  let url = objectUrls.get(key);
  if (!url) {
    url = httpApi.fileBlob(token, fileId, thumbnail).then((blob) => URL.createObjectURL(blob));
    // A failed fetch is tried again next time.
    url.catch(() => objectUrls.delete(key));
    objectUrls.set(key, url);
  }
  return url;
}

/** A size as people read it: 512 B, 12.3 KB, 4.5 MB. */
export function readableSize(bytes: number): string {
  if (bytes < 1024) return t('size.bytes', { size: bytes });
  if (bytes < 1024 * 1024) return t('size.kb', { size: (bytes / 1024).toFixed(1) });
  return t('size.mb', { size: (bytes / 1024 / 1024).toFixed(1) });
}

/**
 * A message's files: images as previews (the thumbnail, fetched with the bearer header into an
 * object URL — an <img> cannot send it), which open the full image; other files as download
 * buttons with their name and size. Nothing is parsed as HTML: names go in as text.
 */
export function renderAttachments(attachments: readonly Attachment[], token: string): HTMLElement {
  const list = el('ul', { class: 'attachments', attrs: { 'data-testid': 'attachments' } });
  for (const file of attachments) {
    const isImage = file.width !== undefined && file.type.startsWith('image/');
    list.append(el('li', { class: 'attachment' }, isImage ? imagePreview(file, token) : fileLink(file, token)));
  }
  return list;
}

function imagePreview(file: Attachment, token: string): HTMLElement {
  const image = el('img', {
    class: 'attachment-preview',
    attrs: { alt: file.name, 'data-testid': 'attachment-image', width: String(Math.min(file.width ?? 160, 160)) },
  });
  void objectUrl(token, file.id, true)
    .then((url) => (image.src = url))
    .catch(() => (image.alt = t('attachment.noPreview', { name: file.name })));
  const open = el(
    'button',
    { class: 'attachment-open', attrs: { type: 'button', title: t('attachment.open', { name: file.name }) } },
    image,
  );
  open.addEventListener('click', () => void openFile(file, token, false));
  return open;
}

function fileLink(file: Attachment, token: string): HTMLElement {
  const button = el('button', {
    class: 'link attachment-file',
    text: `${file.name} (${readableSize(file.size)})`,
    attrs: { type: 'button', 'data-testid': 'attachment-file', title: t('attachment.download', { name: file.name }) },
  });
  button.addEventListener('click', () => void openFile(file, token, true));
  return button;
}

/** Saves a file under its name (`download`), or opens an image in a new tab. */
async function openFile(file: Attachment, token: string, download: boolean): Promise<void> {
  const url = await objectUrl(token, file.id, false);
  const link = el('a', { attrs: { href: url, rel: 'noopener' } });
  if (download) link.setAttribute('download', file.name);
  else link.setAttribute('target', '_blank');
  link.click();
}
