// Every user-visible string of the tour in zh-CN (first) and English; a language switch. Facility types and
// counter statuses come from the vocabulary generated from server/vocabulary.py (never kept here by hand).
import { LANG_CHANGE } from './events.js';
import { COUNTER_STATUSES, FACILITIES, UNKNOWN_FACILITY } from './generated/vocabulary.js';

const STRINGS = {
  skip: ['跳到文字版目录', 'Skip to the text directory'],
  searchLabel: ['搜索办事事项', 'Search for a service'],
  searchPlaceholder: ['我要办…', 'I want to…'],
  textDirectory: ['文字版', 'Text directory'],
  closeDirectory: ['返回全景', 'Back to panorama'],
  elderMode: ['长辈版', 'Large text'],
  switchLang: ['English', '中文'],
  lookLeft: ['向左看', 'Look left'],
  lookRight: ['向右看', 'Look right'],
  lookUp: ['向上看', 'Look up'],
  lookDown: ['向下看', 'Look down'],
  zoomIn: ['放大', 'Zoom in'],
  zoomOut: ['缩小', 'Zoom out'],
  counter: ['窗口', 'Counter'],
  close: ['关闭', 'Close'],
  back: ['返回', 'Back'],
  readAloud: ['朗读', 'Read aloud'],
  stopReading: ['停止朗读', 'Stop reading'],
  hallInfo: ['大厅信息', 'About the hall'],
  hallNow: ['大厅', 'Hall'],
  address: ['地址', 'Address'],
  phone: ['电话', 'Phone'],
  gettingThere: ['怎么来', 'Getting here'],
  access_bus: ['公交', 'Bus'],
  access_metro: ['地铁', 'Metro'],
  access_parking: ['停车', 'Parking'],
  weekTable: ['每周办公时间', 'Opening hours'],
  dayClosed: ['不办公', 'Closed'],
  todayHoliday: ['今天是法定节假日（{name}），不办公', 'Today is a public holiday ({name}): closed'],
  todayWorkday: ['今天调休上班（{name}），按工作日时间办公', 'Today is a working day in lieu ({name}): weekday hours'],
  services: ['可办事项', 'Services'],
  noServices: ['本窗口提供咨询和引导', 'This counter offers advice and guidance'],
  department: ['部门', 'Department'],
  summary: ['一句话说明', 'In short'],
  conditions: ['办理条件', 'Who can apply'],
  steps: ['办理步骤', 'Steps'],
  process: ['办理流程', 'Process'],
  materials: ['需要带的材料', 'What to bring'],
  optional: ['（视情况）', '(if applicable)'],
  copy: ['份', 'copy'],
  copies: ['份', 'copies'],
  timeLimit: ['办理时限', 'Time limit'],
  day: ['个工作日', 'working day'],
  days: ['个工作日', 'working days'],
  listComma: ['，', ', '],
  onTheSpot: ['即办', 'done on the spot'],
  promised: ['承诺', 'promised'],
  legal: ['法定', 'legal'],
  fees: ['收费', 'Fees'],
  free: ['不收费', 'Free of charge'],
  faq: ['常见问题', 'Questions'],
  applyOnline: ['网上申办', 'Apply online'],
  onlineAddress: ['网上办理地址', 'Online address'],
  qrAlt: ['网上申办二维码，用手机扫码继续办理', 'QR code of the online application: scan it to continue on your phone'],
  qrCaption: ['手机扫码办理', 'Scan with your phone'],
  appointment: ['预约办理', 'Book an appointment'],
  phones: ['咨询与投诉', 'Enquiries and complaints'],
  enquiry: ['咨询电话', 'Enquiries'],
  complaint: ['投诉电话', 'Complaints'],
  counters: ['办理窗口', 'Counters'],
  takeMeThere: ['带我去', 'Take me there'],
  route: ['路线', 'Route'],
  routeSummary: ['全程约 {m} 米，步行约 {min} 分钟', 'About {m} m, {min} min on foot'],
  noResults: ['没有找到，换个说法试试，或拨打 12345', 'Nothing found: try other words, or call 12345'],
  searchServices: ['事项', 'Services'],
  searchCounters: ['窗口', 'Counters'],
  searchFacilities: ['设施', 'Facilities'],
  searchMore: ['更多…（还有 {n} 项）', 'More… ({n} more)'],
  oneStop: ['综合受理', 'one-stop'],
  oneStopCounter: ['{n}（综合受理）', '{n} (one-stop)'],
  alsoAt: ['也可到：{list}', 'Also at: {list}'],
  listSep: ['、', ', '],
  andMore: ['等 {n} 个窗口', ' and {n} more'],
  floor: ['楼层', 'Floor'],
  otherFloor: ['在{floor}（您现在在{here}）', '{floor}, another floor (you are on {here})'],
  colon: ['：', ': '],
  facilityHours: ['开放时间', 'Opening hours'],
  facilityHallHours: ['与大厅办公时间相同', "Same as the hall's hours"],
  closedToday: ['今日不开放', 'Closed today'],
  loading: ['正在加载…', 'Loading…'],
  loadFailed: ['加载失败，请稍后再试', 'Could not load; please try again'],
  noPlan: ['这一层暂无平面图', 'No floor plan of this floor yet'],
  goTo: ['前往', 'Go to'],
  goThere: ['{name}（前往该场景）', '{name} (go there)'],
  routeGo: ['路线：前往 {name}', 'Route: go to {name}'],
  routeTo: ['前往{name}', 'To {name}'],
  routeStep: ['第 {n}/{total} 步', 'step {n} of {total}'],
  routeLeft: ['还有约 {m} 米', 'about {m} m to go'],
  routeArrived: ['{name}就在眼前', '{name} is in front of you'],
  takeLift: ['乘电梯到{floor}', 'Take the lift to {floor}'],
  stairsUp: ['走楼梯上到{floor}', 'Take the stairs up to {floor}'],
  stairsDown: ['走楼梯下到{floor}', 'Take the stairs down to {floor}'],
  escalatorUp: ['乘自动扶梯上到{floor}', 'Take the escalator up to {floor}'],
  escalatorDown: ['乘自动扶梯下到{floor}', 'Take the escalator down to {floor}'],
  stepFree: ['无障碍路线', 'Step-free route'],
  groupOf: ['（{n} 个窗口，展开查看）', '({n} counters: open to see them)'],
  lowCounter: ['设有低位服务台（轮椅可用）', 'Has a low desk for wheelchair users'],
  counterPlace: ['{n}窗口', 'counter {n}'],
  destination: ['目的地', 'your destination'],
  endRoute: ['结束导航', 'End route'],
  facility: ['设施', 'Facility'],
  panorama: ['全景', 'Panorama'],
  noPanoramas: ['本大厅暂无全景图', 'No panoramas for this hall yet'],
  webglMissing: ['此浏览器无法显示全景，请使用文字版目录', 'This browser cannot show the panorama; please use the text directory'],
  dhButton: ['3D 大厅', '3D hall'],
  dhTitle: ['3D 大厅', '3D hall'],
  dhBack: ['返回全景', 'Back to panorama'],
  dhFloor: ['楼层', 'Floor'],
  dhAllFloors: ['全部楼层', 'All floors'],
  dhPlaces: ['窗口与设施', 'Counters and facilities'],
  dhCounterLabel: ['{n} {name} · {floor}', '{n} {name} · {floor}'],
  dhFacilityLabel: ['{name} · {floor}', '{name} · {floor}'],
  minimap: ['小地图', 'Minimap'],
  youAreHere: ['您在这里', 'You are here'],
  kioskPickLabel: ['常办事项与部门', 'Popular services and departments'],
  kioskPopular: ['常办事项', 'Popular'],
  kioskDepartments: ['按部门', 'By department'],
  kioskKeyboard: ['拼音键盘', 'Keyboard'],
  kioskSpace: ['空格', 'Space'],
  kioskBackspace: ['退格', 'Delete'],
  kioskClear: ['清空', 'Clear'],
  kioskScan: ['用手机扫码打开', 'Scan to open on your phone'],
  kioskRouteQr: ['扫码把路线带走', 'Scan to take the route along'],
  kioskCounters: ['窗口', 'Counters'],
  kioskStillThere: ['还在使用吗？', 'Still there?'],
  kioskCountdown: ['{n} 秒后将清除本次查询，回到首页', 'In {n} s everything you looked at is cleared for the next person'],
  kioskContinue: ['继续', 'Continue'],
  kioskTouchToStart: ['触摸屏幕，开始查询', 'Touch the screen to start'],
  kioskHallLine: ['{hall}共有 {n} 个窗口，可查事项、找窗口、带您走过去', '{hall}: {n} counters. Find a service, a counter and the way there'],
  minimapHide: ['隐藏', 'Hide'],
  minimapShow: ['显示', 'Show'],
  enterVR: ['进入VR', 'Enter VR'],
  exitVR: ['退出VR', 'Exit VR'],
  vrUnavailable: ['本设备不支持VR', 'VR is not available on this device'],
  vrInsecure: ['VR需要安全连接（HTTPS）', 'VR needs a secure (HTTPS) connection'],
  vrFailed: ['无法进入VR', 'Could not start VR'],
  lookByPhone: ['转动手机看', 'Look by turning the phone'],
  // Take it along: print a service guide, share its link.
  print: ['打印办事指南', 'Print this guide'],
  share: ['分享', 'Share'],
  linkCopied: ['已复制链接', 'Link copied'],
  copyLinkManual: ['请复制下面的链接', 'Copy the link below'],
  shareLink: ['本页链接', 'Link to this page'],
  printFrom: ['打印自 {hall} 全景导览', 'Printed from the {hall} tour'],
  weekHours: ['办公时间', 'Hours'],
  hoursSep: ['；', '; '],
  wd_mon: ['周一', 'Mon'], wd_tue: ['周二', 'Tue'], wd_wed: ['周三', 'Wed'], wd_thu: ['周四', 'Thu'],
  wd_fri: ['周五', 'Fri'], wd_sat: ['周六', 'Sat'], wd_sun: ['周日', 'Sun'],
  dayRange: ['{from}至{to}', '{from}–{to}'],
  pageTitle: ['{hall} · 全景导览', '{hall} · Panorama tour'],
  chooseHall: ['选择大厅', 'Choose a hall'],
  displayOptions: ['显示选项', 'Display options'],
  viewGroup: ['视角', 'View'],
  directoryTitle: ['窗口、事项与设施目录', 'Counters, services and facilities'],
  counterNotFound: ['找不到窗口 {n}', 'Counter {n} not found'],
  serviceNotFound: ['找不到事项 {id}', 'Service {id} not found'],
  facilityNotFound: ['找不到设施 {id}', 'Facility {id} not found'],
  notFoundHint: ['链接可能已过期，请搜索或查看文字版目录', 'The link may be out of date: search, or look in the text directory'],
};

let lang = 'zh';
export const i18nEvents = new EventTarget();

export function getLang() {
  return lang;
}

/** The string *key* in the current language (or *inLang*), with {name} placeholders filled from *vars*. */
export function t(key, vars = {}, inLang = lang) {
  const pair = STRINGS[key];
  if (!pair) return key;
  let text = pair[inLang === 'en' ? 1 : 0];
  for (const [name, value] of Object.entries(vars)) text = text.replace(`{${name}}`, String(value));
  return text;
}

/** "{n} <one>" or "{n} <many>" from the string keys *one* / *many* (Chinese has no plural: both say the same). */
export function plural(n, one, many) {
  return `${n} ${t(n === 1 ? one : many)}`;
}

/** The current language's side of a bilingual value {zh, en} (or a plain string). */
export function pick(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return (lang === 'en' ? value.en : value.zh) || value.zh || value.en || '';
}

/** A counter status ('open' | 'paused' | 'closed') in the current language. */
export function statusLabel(status) {
  const label = COUNTER_STATUSES[status];
  return label ? pick(label) : String(status ?? '');
}

/** The vocabulary entry {zh, en, symbol, color} of facility type *type* (the generic one for an unknown type). */
export function facilityType(type) {
  return Object.prototype.hasOwnProperty.call(FACILITIES, type) ? FACILITIES[type] : UNKNOWN_FACILITY;
}

/** The hall's name of floor *level* in the current language (一楼 / Ground floor), else "2F". */
export function floorName(hall, level) {
  const floor = hall.floors?.find((f) => f.level === level);
  return floor ? pick(floor.name) : `${level}F`;
}

/** Switch to *next* ('zh' | 'en'): update marked elements, the document language and listeners. */
export function setLang(next) {
  lang = next === 'en' ? 'en' : 'zh';
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  applyStrings(document);
  i18nEvents.dispatchEvent(new CustomEvent(LANG_CHANGE, { detail: { lang } }));
}

/** Fill elements marked with data-i18n (text), data-i18n-label (aria-label), data-i18n-placeholder. */
export function applyStrings(root) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-label]')) node.setAttribute('aria-label', t(node.dataset.i18nLabel));
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const node of root.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
  for (const node of root.querySelectorAll('[data-i18n-roledescription]')) node.setAttribute('aria-roledescription', t(node.dataset.i18nRoledescription));
  for (const node of root.querySelectorAll('[data-i18n-zh]')) node.textContent = lang === 'en' ? node.dataset.i18nEn : node.dataset.i18nZh;
  const toggle = root.querySelector?.('#toggle-lang');
  if (toggle) toggle.lang = lang === 'en' ? 'zh-CN' : 'en';
}
