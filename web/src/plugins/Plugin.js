// The plugin contract. A plugin is a class with an `id` (static, or set on the instance), `init(viewer)` and
// `destroy()`. `viewer.use(plugin)` calls init once; `viewer.removePlugin(id)` and `viewer.destroy()` (all
// plugins, in reverse order) call destroy, which releases every listener, texture, geometry and DOM node the
// plugin made. A plugin gets the page elements it needs through its constructor options (the page that
// composes the viewer passes them) — never by document.getElementById — and it talks through events on the
// viewer (names in events.js): it listens to SCENE_CHANGE, VIEW_CHANGE and RENDER, which the viewer itself
// dispatches, and dispatches its own (HOTSPOT_SELECT …) there with `emit`. It never patches the viewer: where
// it needs a hook (XR owning the render loop) the viewer has one. Other plugins are reached by
// `viewer.getPlugin(id)` when needed, never kept from construction. A plugin that can work without a viewer
// (the plan-only minimap, the 3D hall of a hall without panoramas) is given init(null) and then dispatches
// its events on itself.
export class Plugin extends EventTarget {
  constructor() {
    super();
    this.viewer = null;
    this._listeners = [];
  }

  /** The plugin's id: the instance's own, else the class's static `id`. */
  get id() {
    return this._id ?? this.constructor.id;
  }

  set id(value) {
    this._id = value;
  }

  /** Attach to *viewer* (called once by viewer.use). */
  init(viewer) {
    this.viewer = viewer;
  }

  /** Release everything init and later calls made (called once by viewer.removePlugin or viewer.destroy). */
  destroy() {
    for (const [target, type, handler, options] of this._listeners) target.removeEventListener(type, handler, options);
    this._listeners = [];
    this.viewer = null;
  }

  /** addEventListener, remembered so that destroy() removes it. */
  listen(target, type, handler, options) {
    target.addEventListener(type, handler, options);
    this._listeners.push([target, type, handler, options]);
  }

  /** Dispatch *type* with *detail* (plus {plugin: id}) on the viewer (on the plugin itself without one). */
  emit(type, detail = {}) {
    (this.viewer ?? this).dispatchEvent(new CustomEvent(type, { detail: { ...detail, plugin: this.id } }));
  }
}
