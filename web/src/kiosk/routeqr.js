// Take the route along: under a route's steps in the panel, a QR code of the tour's short link that opens the
// same route on a phone (made by the server, which encodes only addresses of this site).
import { t } from '../i18n.js';
import { el } from '../ui/dom.js';
import { Plugin } from '../plugins/Plugin.js';

export class RouteQr extends Plugin {
  static id = 'kiosk-route-qr';

  constructor({ panel, link }) {
    super();
    this.panel = panel;
    this.link = link;
  }

  /** Add the QR code of the current route to the panel (after it shows the route). */
  show() {
    const url = this.link();
    this.panel.querySelector('.kiosk-route-qr')?.remove();
    if (!url || this.panel.hidden) return;
    this.panel.append(el('figure', { class: 'kiosk-qr kiosk-route-qr', 'data-address': url },
      el('img', { src: `/api/v1/qr.svg?url=${encodeURIComponent(url)}`, alt: t('kioskRouteQr'), width: 200, height: 200 }),
      el('figcaption', { text: t('kioskRouteQr') })));
  }

  destroy() {
    this.panel.querySelector('.kiosk-route-qr')?.remove();
    super.destroy();
  }
}
