// The kiosk plugin set: what the kiosk page (main.js) adds to the tour, each a plugin of the contract in
// plugins/Plugin.js (id, init(viewer), destroy(); page elements and page calls passed in as options). The next
// steps plug in here too: the idle overlay (“还在使用吗？”), the reset to a clean slate and the attract loop are
// plugins of this list (they listen for touches on document and call page.panel / page.search / page.endRoute),
// and the service worker registration sits beside the KioskPage's start in main.js.
import { PickLists } from './picks.js';
import { QrLinks } from './qrlinks.js';
import { RouteQr } from './routeqr.js';
import { TouchGuard } from './touchguard.js';
import { YouAreHere } from './youarehere.js';

/** The plugins a kiosk page composes, in order, given the page (a KioskPage). */
export function kioskPlugins(page) {
  const $ = (id) => document.getElementById(id);
  return [
    new TouchGuard({ root: document.documentElement }),
    new QrLinks({ root: document.body }),
    new PickLists({
      section: $('kiosk-pick'),
      input: $('search-input'),
      picks: page.kiosk.picks || { services: [], departments: [] },
      openService: (id) => { page.panel.openService(id); page.panel.element.focus(); },
      openCounter: (number) => { page.panel.openCounter(number); page.panel.element.focus(); },
    }),
    new YouAreHere({ here: page.here, minimap: () => page.plugin('minimap') }),
    new RouteQr({ panel: $('panel'), link: () => page.takeAlongUrl() }),
  ];
}
