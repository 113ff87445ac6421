// QR codes instead of links: on a kiosk an address outside the site (online application, appointment, any
// other https address the page shows) becomes a QR code to scan with a phone, made by the server from allowed
// addresses only (/api/v1/qr.svg); tel: and other schemes become plain text. Links within the site stay (the
// tour handles their clicks). Watches *root* for content the panel and search add later.
import { t } from '../i18n.js';
import { el } from '../ui/dom.js';
import { Plugin } from '../plugins/Plugin.js';

export class QrLinks extends Plugin {
  static id = 'kiosk-qr-links';

  constructor({ root }) {
    super();
    this.root = root;
  }

  init(viewer) {
    super.init(viewer);
    this.observer = new MutationObserver(() => this.convert());
    this.observer.observe(this.root, { childList: true, subtree: true });
    this.convert();
  }

  destroy() {
    this.observer?.disconnect();
    this.observer = null;
    super.destroy();
  }

  /** Replace every link of *root* that leaves the site. */
  convert() {
    for (const link of this.root.querySelectorAll('a[href]')) {
      let url;
      try { url = new URL(link.getAttribute('href'), location.href); } catch { url = null; }
      if (url && url.origin === location.origin) continue;
      const text = link.textContent.trim();
      if (url && (url.protocol === 'https:' || url.protocol === 'http:')) {
        link.replaceWith(el('figure', { class: 'kiosk-qr', 'data-address': url.href },
          el('img', { src: `/api/v1/qr.svg?url=${encodeURIComponent(url.href)}`, alt: `${text} ${t('kioskScan')}`, width: 160, height: 160 }),
          el('figcaption', { text: `${text} · ${t('kioskScan')}` })));
      } else {
        link.replaceWith(el('span', { class: 'kiosk-plain', text }));
      }
    }
  }
}
