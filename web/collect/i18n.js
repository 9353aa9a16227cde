// The form's words in Chinese (default) and English. Field labels live with the field
// definitions (form.js); messages about a survey's content come from the analytics
// module or the server, which always carry both languages.

export const STRINGS = {
  zh: {
    title: "农业废弃物入户调查",
    subtitle: "农技员填报",
    switch_lang: "EN",
    tab_form: "填报",
    tab_queue: "待同步",
    online: "在线",
    offline: "离线:调查保存在本机,联网后自动同步",
    sync_now: "立即同步",
    unreachable: "无法连接服务器,调查仍在本机,稍后重试",
    syncing: "同步中…",
    sign_in: "登录",
    sign_out: "退出",
    username: "用户名",
    password: "密码",
    signed_in_as: "已登录",
    session_expired: "登录已过期,请重新登录。未同步的调查仍保存在本机,登录后继续同步。",
    sign_in_offline: "首次登录需要联网。",
    identity: "基本信息",
    location: "位置",
    use_gps: "获取 GPS 位置",
    gps_waiting: "正在定位…",
    gps_denied: "无法获取位置(未授权或无信号),可手动填写经纬度。",
    gps_unavailable: "此设备不支持定位,可手动填写经纬度。",
    section_present: "本户有此项",
    add_crop: "添加作物",
    remove_crop: "删除此作物",
    photos: "照片",
    add_photo: "添加照片",
    photo_note: "照片在本机压缩(最长边 1600 像素),随调查一起同步。",
    remove_photo: "移除",
    save: "保存调查",
    save_edit: "保存修改",
    new_survey: "新建调查",
    form_has_errors: (n) => `有 ${n} 处错误需要修改,尚未保存`,
    form_warnings: (n) => `${n} 条提示(可以保存,请核实)`,
    saved_queued: "已保存到本机,等待同步",
    saved_sent: "已保存并同步到服务器",
    survey_year: "调查年度",
    estimate_measured: "实测",
    estimate_estimated: (kg) => `按系数估算:约 ${kg} 公斤`,
    estimate_none: "无法估算:请填写实测值或产量/头数",
    estimate_unconfirmed: "该作物暂无核定系数,请填写实测秸秆量",
    queue_empty: "本机没有调查",
    status_queued: "待同步",
    status_sent: "已同步",
    status_invalid: "需修改",
    status_conflict: "编号冲突",
    photos_pending: (n) => `${n} 张照片待上传`,
    photos_sent: (n) => `${n} 张照片已上传`,
    edit: "修改",
    remove: "删除",
    last_sync: "上次同步",
    sync_failed: "同步失败",
    sections: { film: "地膜", pesticide_packaging: "农药包装废弃物", straw: "秸秆", yak_dung: "牦牛粪" },
    none: "无",
    household_of: "农户",
    crop_row: (n) => `第 ${n} 行`,
    use_device_token: "使用设备令牌",
    use_password: "使用用户名和密码",
    device_token: "设备令牌",
    device_token_hint: "粘贴管理员发给您的设备令牌(以 awd_ 开头),或直接打开管理员发来的链接、扫描二维码。设备令牌长期有效:离线多日后联网即可同步,无需重新登录。",
    not_a_device_token: "设备令牌无效:设备令牌以 awd_ 开头,请完整粘贴管理员发来的令牌",
    device_token_offline: "验证设备令牌需要联网:请联网后再点“登录”。",
    device_token_refused: (reason) => `设备令牌已不能使用:${reason}。未同步的调查仍保存在本机;请向管理员索取新的设备令牌,或用用户名和密码登录。`,
    via_device: "设备令牌",
    colon: ":",
  },
  en: {
    title: "Agricultural waste household survey",
    subtitle: "for field technicians",
    switch_lang: "中文",
    tab_form: "Survey",
    tab_queue: "Queue",
    online: "Online",
    offline: "Offline: surveys are kept on this device and sync when the network is back",
    sync_now: "Sync now",
    unreachable: "The server could not be reached; surveys stay on this device; try again later",
    syncing: "Syncing…",
    sign_in: "Sign in",
    sign_out: "Sign out",
    username: "Username",
    password: "Password",
    signed_in_as: "Signed in as",
    session_expired: "Your session has expired; please sign in again. Unsynced surveys stay on this device and sync after you sign in.",
    sign_in_offline: "The first sign-in needs a network connection.",
    identity: "Household",
    location: "Location",
    use_gps: "Use GPS position",
    gps_waiting: "Locating…",
    gps_denied: "No position (not allowed or no signal); you can type latitude and longitude.",
    gps_unavailable: "This device has no geolocation; you can type latitude and longitude.",
    section_present: "This household has it",
    add_crop: "Add a crop",
    remove_crop: "Remove this crop",
    photos: "Photos",
    add_photo: "Add a photo",
    photo_note: "Photos are shrunk on this device (longest side 1600 px) and sync with the survey.",
    remove_photo: "Remove",
    save: "Save survey",
    save_edit: "Save changes",
    new_survey: "New survey",
    form_has_errors: (n) => `${n} error(s) to fix; not saved yet`,
    form_warnings: (n) => `${n} warning(s): you may save, please check`,
    saved_queued: "Saved on this device; waiting to sync",
    saved_sent: "Saved and synced to the server",
    survey_year: "Survey year",
    estimate_measured: "measured",
    estimate_estimated: (kg) => `estimated from coefficients: about ${kg} kg`,
    estimate_none: "cannot estimate: give the measured amount, or yield / head count",
    estimate_unconfirmed: "no confirmed coefficient for this crop yet: give the measured straw",
    queue_empty: "No surveys on this device",
    status_queued: "Queued",
    status_sent: "Sent",
    status_invalid: "Needs fixing",
    status_conflict: "Id conflict",
    photos_pending: (n) => `${n} photo(s) to upload`,
    photos_sent: (n) => `${n} photo(s) uploaded`,
    edit: "Edit",
    remove: "Delete",
    last_sync: "Last sync",
    sync_failed: "Sync failed",
    sections: { film: "Mulch film", pesticide_packaging: "Pesticide packaging", straw: "Crop straw", yak_dung: "Yak dung" },
    none: "none",
    household_of: "Household",
    crop_row: (n) => `row ${n}`,
    use_device_token: "Use a device token",
    use_password: "Use username and password",
    device_token: "Device token",
    device_token_hint: "Paste the device token your administrator sent you (it starts with awd_), or open the link they sent / scan the QR code. A device token lasts: after days offline the phone syncs without signing in again.",
    not_a_device_token: "Device token not valid: device tokens start with awd_; paste the whole token your administrator sent",
    device_token_offline: "Checking a device token needs a network connection: sign in once you are online.",
    device_token_refused: (reason) => `The device token no longer works: ${reason}. Unsynced surveys stay on this device; ask your administrator for a new device token, or sign in with username and password.`,
    via_device: "device token",
    colon: ": ",
  },
};

const LANG_KEY = "agriwaste.collect.lang";

/** The chosen language: Chinese unless the person switched to English. */
export function currentLang() {
  return localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";
}

export function setLang(lang) {
  localStorage.setItem(LANG_KEY, lang);
}

/** The string `key` in the current language (a function's result when given `args`). */
export function t(key, ...args) {
  const value = STRINGS[currentLang()][key];
  return typeof value === "function" ? value(...args) : value;
}

/** A `{ zh, en }` pair in the current language. */
export function pick(pair) {
  return pair[currentLang()];
}

/** An issue's message (analytics module or server) in the current language. */
export function message(issue) {
  return currentLang() === "en" ? issue.message_en : issue.message_zh;
}
