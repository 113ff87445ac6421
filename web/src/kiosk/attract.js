// The attract loop of an idle kiosk: an automatic tour through the hall's scenes, each shown for SCENE_MS while
// the view turns slowly (Viewer.animateTo: nothing turns with prefers-reduced-motion, the scenes still change),
// with captions in Chinese then English (the scene's name, a line about the hall, "touch to start") and, when
// the kiosk's audio is on, the caption read by the browser's speech synthesis in a zh-CN voice (silent where
// there is none; never an error). A full-screen layer takes the first touch, click or key anywhere: it ends the
// loop and is not passed on (the tour's start state shows; the idle plugin then watches again). The page does
// the showing: *show(scene)* and *stopped()* are its.
import { t } from '../i18n.js';
import { el } from '../ui/dom.js';
import { Plugin } from '../plugins/Plugin.js';

export const SCENE_MS = 12000; // each scene of the loop
const TURN_DEGREES = 40; // the slow turn over one scene (about 3.3° a second)

export class AttractLoop extends Plugin {
  static id = 'kiosk-attract';

  constructor({ root, hall, scenes, show, stopped, audio = false }) {
    super();
    this.root = root;
    this.hall = hall;
    this.scenes = scenes;
    this.show = show;
    this.stopped = stopped;
    this.audio = audio;
    this.running = false;
    this.gesture = false;
    this.timer = 0;
    this.index = 0;
  }

  init(viewer) {
    super.init(viewer);
    this.layer = el('div', { class: 'kiosk-attract', 'data-kiosk-attract': 'off', hidden: '' },
      el('div', { class: 'attract-caption', 'aria-live': 'polite' },
        (this.sceneZh = el('p', { class: 'attract-scene', lang: 'zh-CN' })),
        (this.sceneEn = el('p', { class: 'attract-scene-en', lang: 'en' })),
        (this.lineZh = el('p', { class: 'attract-line', lang: 'zh-CN' })),
        (this.lineEn = el('p', { class: 'attract-line-en', lang: 'en' })),
        el('p', { class: 'attract-touch' },
          el('span', { lang: 'zh-CN', text: t('kioskTouchToStart', {}, 'zh') }),
          el('span', { lang: 'en', text: t('kioskTouchToStart', {}, 'en') }))));
    this.root.append(this.layer);
    // Capture, so that the touch that ends the loop reaches nothing under it: neither the rest of that gesture
    // (until the finger or button is up) nor the click that follows it (until the next press).
    this.listen(window, 'pointerdown', () => { this.swallowClick = false; }, { capture: true });
    const end = (e) => {
      if (!this.absorbing) return;
      e.preventDefault();
      e.stopPropagation();
      if (!this.running) return;
      this.gesture = e.type !== 'keydown' && e.type !== 'wheel';
      this.swallowClick = this.gesture;
      this.stop();
    };
    for (const type of ['pointerdown', 'touchstart', 'mousedown', 'keydown', 'wheel']) this.listen(window, type, end, { capture: true, passive: false });
    for (const type of ['pointerup', 'pointercancel']) this.listen(window, type, () => { this.gesture = false; }, { capture: true });
    this.listen(window, 'click', (e) => {
      if (!this.swallowClick) return;
      e.preventDefault();
      e.stopPropagation();
      this.swallowClick = false;
    }, { capture: true });
  }

  /** Whether input now belongs to the loop: while it runs, and the rest of the gesture that ended it. */
  get absorbing() {
    return this.running || this.gesture;
  }

  destroy() {
    this.halt();
    this.layer?.remove();
    super.destroy();
  }

  /** Start the loop from the first scene. */
  start() {
    if (this.running) return;
    this.running = true;
    this.swallowClick = false;
    this.index = 0;
    this.layer.hidden = false;
    this.layer.dataset.kioskAttract = 'on';
    document.body.dataset.kioskAttract = 'on';
    this.step();
  }

  /** Show the next scene with its captions and narration, turn slowly, and come back after SCENE_MS. */
  step() {
    const scenes = this.scenes();
    const scene = scenes.length ? scenes[this.index % scenes.length] : null;
    this.index += 1;
    const line = { n: this.hall.counter_count ?? 0 };
    const zh = { scene: scene?.name?.zh ?? '', line: t('kioskHallLine', { ...line, hall: this.hall.name.zh }, 'zh') };
    const en = { scene: scene?.name?.en ?? '', line: t('kioskHallLine', { ...line, hall: this.hall.name.en }, 'en') };
    this.sceneZh.textContent = zh.scene;
    this.sceneEn.textContent = en.scene;
    this.lineZh.textContent = zh.line;
    this.lineEn.textContent = en.line;
    this.layer.dataset.scene = scene?.id ?? '';
    if (scene) this.show(scene);
    const view = this.viewer?.getView();
    if (view) this.viewer.animateTo({ yaw: view.yaw + TURN_DEGREES, pitch: 0 }, SCENE_MS);
    this.narrate(`${zh.scene}。${zh.line}。${t('kioskTouchToStart', {}, 'zh')}`);
    this.timer = setTimeout(() => this.step(), SCENE_MS);
  }

  /** Say *text* in a zh-CN voice when the kiosk's audio is on and the browser can; otherwise nothing. */
  narrate(text) {
    if (!this.audio || !('speechSynthesis' in window) || typeof SpeechSynthesisUtterance !== 'function') return;
    try {
      speechSynthesis.cancel();
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = 'zh-CN';
      const voice = speechSynthesis.getVoices().find((v) => v.lang?.replace('_', '-').toLowerCase() === 'zh-cn');
      if (voice) utterance.voice = voice;
      utterance.rate = 0.9;
      speechSynthesis.speak(utterance);
    } catch (error) {
      console.warn('kiosk narration', error); // a kiosk without speech stays silent
    }
  }

  /** Stop the timers, the turn and the voice, and hide the layer (no call back to the page). */
  halt() {
    clearTimeout(this.timer);
    this.timer = 0;
    if (this.running) {
      this.viewer?.animateTo(this.viewer.getView(), 0); // ends the slow turn where it is
      if (this.audio && 'speechSynthesis' in window) speechSynthesis.cancel();
    }
    this.running = false;
    if (this.layer) {
      this.layer.hidden = true;
      this.layer.dataset.kioskAttract = 'off';
    }
    delete document.body.dataset.kioskAttract;
  }

  /** End the loop (a touch): the page shows its start state. */
  stop() {
    if (!this.running) return;
    this.halt();
    this.stopped();
  }
}
