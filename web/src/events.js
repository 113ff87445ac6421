// Every event name the viewer, its plugins and the page dispatch, in one place. Viewer and plugin events are
// dispatched on the viewer (one bus: a page listens there, whichever plugin set it composed); the page's own
// UI (panel, search) and i18n dispatch on themselves.
export const VIEW_CHANGE = 'viewchange'; // Viewer: detail {yaw, pitch, fov}, after a user or API change
export const RENDER = 'render'; // Viewer: after each frame; detail {camera, frame}
export const SCENE_CHANGE = 'scenechange'; // Viewer: detail {scene, previous}, from viewer.setScene()
export const HOTSPOT_SELECT = 'hotspotselect'; // hotspots, minimap, dollhouse, xr: detail {target, plugin}
export const LANG_CHANGE = 'langchange'; // i18n: detail {lang}
export const PANEL_CHANGE = 'panelchange'; // Panel: detail {counter, service}
export const ROUTE_REQUEST = 'routerequest'; // Panel/search: detail {target} ('counter:B03', 'facility:<id>')
export const SEARCH_SELECT = 'searchselect'; // Search: detail {service}, {counter} or {facility}
export const TILES_LOADED = 'tilesloaded'; // tiles: every requested tile of the view is in (or given up on)
export const DOLLHOUSE_CLOSE = 'dollhouseclose'; // dollhouse: the 3D view was closed
export const XR_END = 'xrend'; // xr: the immersive session ended
export const ROUTE_END = 'routeend'; // route-guide: the user ended the route
export const ROUTE_REPLAN = 'routereplan'; // route-guide: the citizen left the route's scenes; detail {from}
export const STATES_CHANGE = 'stateschange'; // Opening: the counters' opening states changed (hall.counters[].state)
export const HOTSPOT_MOVE = 'hotspotmove'; // hotspot-editor: a hotspot dragged or nudged; detail {target, yaw, pitch}
