// “您在这里 / You are here”: the kiosk's registered floor, plan position and facing, shown on the minimap (a
// marker with an arrow the way the screen faces). The 3D hall gets the same from the page when it opens
// (KioskPage.openDollhouse → dollhouse.setHere), as it is loaded only then.
import { Plugin } from '../plugins/Plugin.js';

export class YouAreHere extends Plugin {
  static id = 'kiosk-here';

  constructor({ here, minimap }) {
    super();
    this.here = here;
    this.minimap = minimap;
  }

  init(viewer) {
    super.init(viewer);
    this.minimap()?.setHere(this.here);
  }

  destroy() {
    this.minimap()?.setHere(null);
    super.destroy();
  }
}
