// The offline verifier (/verify/offline): checks a certificate QR text in the browser.
// The JWKS is fetched once and kept in localStorage; verifying makes no request at all. The rules
// are scripts/verify_offline.py's (jxjd.certificates.signing.verify_token): a well-formed EdDSA
// compact JWS, a published key, a valid Ed25519 signature (WebCrypto), the token's iat within
// the key's [nbf - 300 s, exp + 300 s], never a key marked "compromised", and the URL's serial
// equal to the signed one. SM2 (国密) tokens cannot be checked by WebCrypto: the page says so.
(function () {
  "use strict";

  var STORAGE_KEY = "jxjd.offline.jwks";
  var LEEWAY = 300; // seconds, KEY_WINDOW_LEEWAY
  var MAX_TOKEN = 8192;
  var CATEGORY = { general: "公需科目", professional: "专业科目" };
  var FIELDS = [
    ["sn", "证书编号"], ["name", "姓名"], ["id_masked", "身份证号"], ["title", "培训项目"],
    ["base", "基地"], ["category", "科目类别"], ["hours", "学时"], ["start_date", "开始日期"],
    ["end_date", "结束日期"], ["iat", "签发时间"]
  ];
  // A transcript (学时认定单, payload kind "transcript"): who, the span, each year as signed.
  var TRANSCRIPT_FIELDS = [
    ["sn", "认定单编号"], ["name", "姓名"], ["id_masked", "身份证号"], ["span", "认定年度"],
    ["ok", "结论"], ["iat", "签发时间"]
  ];
  var TRANSCRIPT_NOTE = "学时认定单证明签发时的学时情况；离线核验无法得知签发后记录是否变更（如证书被撤销），需要时请联网按认定单编号查询。";
  var STEPS = {
    well_formed: "二维码内容格式",
    key_known: "签名密钥为发证机构发布的密钥",
    signature: "电子签名校验",
    key_window: "签发时间在密钥有效期内，密钥未宣布泄露",
    serial_match: "链接中的证书编号与签名内容一致"
  };

  var root = document.getElementById("offline-verifier");
  if (!root) return;
  var $ = function (id) { return document.getElementById(id); };

  function b64urlBytes(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function b64urlJson(text) {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(b64urlBytes(text)));
  }

  // ---- the cached JWKS ---------------------------------------------------------------------

  function loadCached() {
    try {
      var saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
      if (saved && saved.jwks && Array.isArray(saved.jwks.keys)) return saved;
    } catch (e) { /* a damaged entry is fetched again */ }
    return null;
  }

  function showCached(saved) {
    var status = $("jwks-status");
    if (!saved) {
      status.textContent = "尚未保存签名公钥：请联网打开本页一次。";
      return;
    }
    var when = new Date(saved.fetchedAt);
    status.textContent = "已保存签名公钥 " + saved.jwks.keys.length + " 个，下载于 " +
      when.toLocaleString("zh-CN", { hour12: false }) + "。核验时不连接服务器。";
    status.dataset.cached = "yes";
  }

  function fetchJwks() {
    var status = $("jwks-status");
    status.textContent = "正在下载签名公钥……";
    return fetch(root.dataset.jwksUrl, { cache: "no-store", credentials: "omit" })
      .then(function (resp) {
        if (!resp.ok) throw new Error("HTTP " + resp.status);
        return resp.json();
      })
      .then(function (jwks) {
        if (!jwks || !Array.isArray(jwks.keys)) throw new Error("not a JWK Set");
        var saved = { jwks: jwks, fetchedAt: Date.now() };
        localStorage.setItem(STORAGE_KEY, JSON.stringify(saved));
        showCached(saved);
        return saved;
      })
      .catch(function (error) {
        var saved = loadCached();
        showCached(saved);
        status.textContent = "下载签名公钥失败（" + error.message + "）。" + (saved ? status.textContent : "");
        return saved;
      });
  }

  // ---- verification ------------------------------------------------------------------------

  function parseQrText(text) {
    text = text.trim();
    if (text.indexOf("://") < 0 && text.indexOf("?") < 0 && text.indexOf("/") < 0) {
      return { token: text, serial: null };
    }
    var url;
    try { url = new URL(text); } catch (e) { throw new Error("无法识别的链接"); }
    var token = url.searchParams.get("t");
    if (!token) throw new Error("链接中没有 t= 参数");
    var match = /\/v\/([^/?#]+)\/?$/.exec(url.pathname);
    if (!match) throw new Error("链接路径不是 /v/证书编号");
    return { token: token, serial: decodeURIComponent(match[1]) };
  }

  function windowProblem(iat, key) {
    if (key.compromised === true) return "签名所用的密钥已宣布泄露，用它签名的二维码一律无效。";
    if (typeof iat !== "number" || !isFinite(iat)) return "令牌没有签发时间。";
    if (typeof key.nbf === "number" && iat < key.nbf - LEEWAY) return "签发时间早于密钥启用时间。";
    if (typeof key.exp === "number" && iat > key.exp + LEEWAY) return "签发时间晚于密钥停用时间。";
    return null;
  }

  function numericOrAbsent(value) {
    return value === undefined || value === null || (typeof value === "number" && isFinite(value));
  }

  async function verify(text, jwks) {
    var checks = [];
    var fail = function (step, reason) {
      checks.push({ step: step, ok: false });
      return { verdict: "invalid", checks: checks, reason: reason, payload: null };
    };
    var parsed;
    try { parsed = parseQrText(text); } catch (e) { return fail("well_formed", e.message); }
    var token = parsed.token;
    var parts = token.split(".");
    if (!token || token.length > MAX_TOKEN || parts.length !== 3) {
      return fail("well_formed", "二维码内容不是完整的签名令牌。");
    }
    var header, payload;
    try {
      header = b64urlJson(parts[0]);
      payload = b64urlJson(parts[1]);
      b64urlBytes(parts[2]);
    } catch (e) { return fail("well_formed", "令牌不是 base64url 编码的 JSON。"); }
    if (!header || typeof header !== "object" || !payload || typeof payload !== "object" ||
        Array.isArray(payload) || typeof header.kid !== "string" || !header.kid ||
        "crit" in header || "b64" in header) {
      return fail("well_formed", "令牌格式不正确。");
    }
    if (header.alg === "SM2SM3") {
      checks.push({ step: "well_formed", ok: true });
      return { verdict: "unsupported", checks: checks, payload: null,
               reason: "该证书使用国密 SM2 签名，浏览器无法离线校验；请使用离线验证脚本 scripts/verify_offline.py 或联网查询。" };
    }
    if (header.alg !== "EdDSA") return fail("well_formed", "签名算法不受支持。");
    checks.push({ step: "well_formed", ok: true });

    var entry = null;
    (jwks && jwks.keys || []).forEach(function (k) {
      if (k && k.kid === header.kid && k.kty === "OKP" && k.crv === "Ed25519" &&
          (k.alg === undefined || k.alg === "EdDSA") && typeof k.x === "string" &&
          numericOrAbsent(k.nbf) && numericOrAbsent(k.exp)) entry = k;
    });
    if (!entry) return fail("key_known", "签名所用的密钥不在已保存的公钥集中（可联网后重新下载公钥）。");
    checks.push({ step: "key_known", ok: true });

    var ok;
    try {
      var key = await crypto.subtle.importKey(
        "jwk", { kty: "OKP", crv: "Ed25519", x: entry.x, ext: true }, { name: "Ed25519" }, false, ["verify"]);
      ok = await crypto.subtle.verify(
        { name: "Ed25519" }, key, b64urlBytes(parts[2]), new TextEncoder().encode(parts[0] + "." + parts[1]));
    } catch (e) {
      return fail("signature", "此浏览器不支持 Ed25519 签名校验，请更新浏览器或使用离线验证脚本。");
    }
    if (!ok) return fail("signature", "签名校验未通过，证书内容可能被篡改。");
    checks.push({ step: "signature", ok: true });

    var problem = windowProblem(payload.iat, entry);
    if (problem) return fail("key_window", problem);
    checks.push({ step: "key_window", ok: true });

    if (parsed.serial !== null) {
      if (parsed.serial !== payload.sn) return fail("serial_match", "链接中的证书编号与签名内容不一致。");
      checks.push({ step: "serial_match", ok: true });
    }
    return { verdict: "valid", checks: checks, payload: payload,
             reason: "签名由发证机构的密钥签发，内容未被篡改。" };
  }

  // ---- display -----------------------------------------------------------------------------

  function formatValue(key, value) {
    if (key === "category" && CATEGORY[value]) return CATEGORY[value];
    if (key === "iat" && typeof value === "number") {
      return new Date(value * 1000).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
    }
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  function transcriptRows(payload) {
    var rows = [];
    TRANSCRIPT_FIELDS.forEach(function (pair) {
      var value;
      if (pair[0] === "span") value = payload.from + "—" + payload.to;
      else if (pair[0] === "ok") value = payload.ok === true ? "各年度均达到当年学时要求" : "未全部达到当年学时要求";
      else if (pair[0] in payload) value = formatValue(pair[0], payload[pair[0]]);
      else return;
      rows.push([pair[1], value, pair[0] === "sn" || pair[0] === "id_masked"]);
    });
    (Array.isArray(payload.years) ? payload.years : []).forEach(function (y) {
      if (!y || typeof y !== "object") return;
      rows.push([String(y.y) + " 年度", "公需科目 " + y.g + " 学时，专业科目 " + y.p + " 学时，" +
        (y.ok === true ? "达标" : "未达标"), false]);
    });
    return rows;
  }

  function show(outcome) {
    var transcript = !!(outcome.payload && outcome.payload.kind === "transcript");
    var titles = transcript
      ? { valid: "学时认定单有效", invalid: "学时认定单无效", unsupported: "无法离线核验" }
      : { valid: "证书有效", invalid: "证书无效", unsupported: "无法离线核验" };
    var marks = { valid: "✓", invalid: "✗", unsupported: "?" };
    $("verdict").className = "verdict " + outcome.verdict;
    $("verdict-mark").textContent = marks[outcome.verdict];
    $("verdict-title").textContent = titles[outcome.verdict];
    $("verdict-reason").textContent = outcome.reason || "";
    var fields = $("fields");
    fields.replaceChildren();
    if (transcript) {
      transcriptRows(outcome.payload).forEach(function (row) {
        var dt = document.createElement("dt");
        var dd = document.createElement("dd");
        dt.textContent = row[0];
        dd.textContent = row[1];
        if (row[2]) dd.className = "mono";
        fields.append(dt, dd);
      });
    } else if (outcome.payload) {
      FIELDS.forEach(function (pair) {
        if (!(pair[0] in outcome.payload)) return;
        var dt = document.createElement("dt");
        var dd = document.createElement("dd");
        dt.textContent = pair[1];
        dd.textContent = formatValue(pair[0], outcome.payload[pair[0]]);
        if (pair[0] === "sn" || pair[0] === "id_masked") dd.className = "mono";
        fields.append(dt, dd);
      });
    }
    var list = $("checks");
    list.replaceChildren();
    outcome.checks.forEach(function (check) {
      var li = document.createElement("li");
      li.className = check.ok ? "ok" : "no";
      li.textContent = (check.ok ? "✓ " : "✗ ") + (STEPS[check.step] || check.step);
      list.append(li);
    });
    $("result-note").textContent = transcript ? TRANSCRIPT_NOTE : $("result-note").dataset.certificate;
    $("result").hidden = false;
  }

  async function run() {
    var text = $("qr-text").value;
    if (!text.trim()) return;
    var saved = loadCached();
    show(await verify(text, saved ? saved.jwks : null));
  }

  // ---- camera (BarcodeDetector where the browser has it) -------------------------------------

  function setUpCamera() {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
    var button = $("scan-button");
    var video = $("scan-video");
    var status = $("scan-status");
    var stream = null;
    button.hidden = false;
    function stop() {
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      video.hidden = true;
      button.textContent = "用摄像头扫码";
    }
    button.addEventListener("click", async function () {
      if (stream) { stop(); return; }
      try {
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        video.srcObject = stream;
        video.hidden = false;
        status.hidden = false;
        status.textContent = "请将二维码置于画面中。";
        button.textContent = "停止扫码";
        await video.play();
        var tick = async function () {
          if (!stream) return;
          var codes = await detector.detect(video).catch(function () { return []; });
          if (codes.length) {
            $("qr-text").value = codes[0].rawValue;
            status.textContent = "已识别二维码。";
            stop();
            run();
            return;
          }
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      } catch (e) {
        stop();
        status.hidden = false;
        status.textContent = "无法使用摄像头（" + e.message + "），请粘贴二维码内容。";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var saved = loadCached();
    if (saved) showCached(saved); else fetchJwks();
    $("jwks-refresh").addEventListener("click", fetchJwks);
    $("verify-button").addEventListener("click", run);
    setUpCamera();
  });
})();
