// The security headers of the server's responses, in one place so that the API (lws_http.cpp
// adds them to every response) and the browser UI's static-file route agree. Every response
// gets X-Content-Type-Options, Referrer-Policy, X-Frame-Options, Cross-Origin-Opener-Policy and
// Permissions-Policy; the API's Cache-Control and Content-Security-Policy apply unless the
// response sets its own, which is how the UI route sets kUiContentSecurityPolicy:
//   response.headers.emplace_back("Content-Security-Policy", kUiContentSecurityPolicy);
// Strict-Transport-Security is added only when server.hsts_max_age_s is set (behind TLS).
// docs/api.md ("Security") explains each choice. Constants only; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace codeyard::server {

// JSON and raw file bytes: nothing in a response may load, run or frame anything.
inline constexpr std::string_view kApiContentSecurityPolicy =
    "default-src 'none'; frame-ancestors 'none'";

// The browser UI (a Vite build with Monaco and xterm.js served from this origin): scripts,
// workers and connections (fetch, and the terminal's ws:/wss:, which CSP3's 'self' covers)
// only to this origin; inline styles because Monaco and xterm.js set style attributes; blob:
// workers for Monaco's language services; data: for the icon font and small images; never
// framed; no <base> rewriting; forms post only here.
inline constexpr std::string_view kUiContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "worker-src 'self' blob:; font-src 'self' data:; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'";

inline constexpr std::string_view kContentTypeOptions = "nosniff";
inline constexpr std::string_view kReferrerPolicy = "no-referrer";
inline constexpr std::string_view kFrameOptions = "DENY";
inline constexpr std::string_view kApiCacheControl = "no-store";
// A window this origin opens, or that opens it, gets no handle to the other.
inline constexpr std::string_view kCrossOriginOpenerPolicy = "same-origin";
// Powerful features nothing in Codeyard uses, off for this origin and anything it embeds.
inline constexpr std::string_view kPermissionsPolicy =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

// "max-age=N" for Strict-Transport-Security, or "" for 0 (header off).
[[nodiscard]] inline std::string StrictTransportSecurity(int64_t max_age_seconds) {
  if (max_age_seconds <= 0) return {};
  return "max-age=" + std::to_string(max_age_seconds);
}

}  // namespace codeyard::server
