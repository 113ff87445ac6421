// The kiosk plugin set: what the kiosk page (main.js) adds to the tour, each a plugin of the contract in
// plugins/Plugin.js (id, init(viewer), destroy(); page elements and page calls passed in as options): touch
// guard, QR codes, pick-lists, you-are-here, route QR, then the idle question (“还在使用吗？”, which calls the
// page's clean slate) and the attract loop (idle first: it must hear a touch before the loop swallows it). The
// watchdog (watchdog.js) is set up by the KioskPage before the tour starts; the service worker registration sits
// beside the KioskPage's start in main.js.
import { AttractLoop } from './attract.js';
import { IdleWatch } from './idle.js';
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
    new IdleWatch({
      root: document.body,
      idleSeconds: page.kiosk.idle_seconds,
      countdownSeconds: page.kiosk.countdown_seconds,
      reset: () => page.resetToStart(),
      attract: () => page.plugin('kiosk-attract'),
    }),
    new AttractLoop({
      root: document.body,
      hall: page.hall,
      scenes: () => page.attractScenes(),
      show: (scene) => page.showScene(scene),
      stopped: () => { page.resetToStart(); page.plugin('kiosk-idle')?.wake(); },
      audio: Boolean(page.kiosk.audio),
    }),
  ];
}
