// Every event name the tour dispatches, in one place.
export const VIEW_CHANGE = 'viewchange'; // Viewer: detail {yaw, pitch, fov}, after a user or API change
export const RENDER = 'render'; // Viewer: after each frame; detail {camera}
export const SCENE_CHANGE = 'scenechange'; // Tour: detail {scene}
export const HOTSPOT_SELECT = 'hotspotselect'; // Hotspots: detail {target}
export const LANG_CHANGE = 'langchange'; // i18n: detail {lang}
export const PANEL_CHANGE = 'panelchange'; // Panel: detail {counter, service}
export const ROUTE_REQUEST = 'routerequest'; // Panel/search: detail {counter}
export const SEARCH_SELECT = 'searchselect'; // Search: detail {service} or {counter}
export const TILES_LOADED = 'tilesloaded'; // CubeTiles: every requested tile of the view is in
export const DOLLHOUSE_CLOSE = 'close'; // Dollhouse: the 3D view was closed
export const XR_END = 'end'; // XRPlugin: the immersive session ended
export const ROUTE_END = 'routeend'; // RouteGuide: the user ended the route
