#include "net.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "core/http_text.hpp"

namespace codeyard::kubefake {

namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool WaitFd(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int r;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

}  // namespace

Conn::~Conn() {
  if (ssl_ != nullptr) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  ::close(fd_);
}

bool Conn::Handshake() {
  const int flags = fcntl(fd_, F_GETFL);
  fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  if (ssl_ == nullptr) return true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    const int r = SSL_accept(ssl_);
    if (r == 1) return true;
    const int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ) {
      WaitFd(fd_, POLLIN, 1000);
    } else if (err == SSL_ERROR_WANT_WRITE) {
      WaitFd(fd_, POLLOUT, 1000);
    } else {
      return false;
    }
  }
  return false;
}

bool Conn::Pending() const {
  return !buffer_.empty() || (ssl_ != nullptr && SSL_pending(ssl_) > 0);
}

bool Conn::Fill(std::optional<std::chrono::milliseconds> timeout) {
  timed_out_ = false;
  const auto deadline = timeout ? std::chrono::steady_clock::now() + *timeout
                                : std::chrono::steady_clock::time_point::max();
  char chunk[16384];
  while (true) {
    ssize_t n;
    bool want_write = false;
    if (ssl_ != nullptr) {
      const int r = SSL_read(ssl_, chunk, sizeof chunk);
      if (r > 0) {
        buffer_.append(chunk, static_cast<size_t>(r));
        return true;
      }
      const int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_WANT_WRITE) {
        want_write = true;
      } else if (err != SSL_ERROR_WANT_READ) {
        return false;
      }
    } else {
      n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n > 0) {
        buffer_.append(chunk, static_cast<size_t>(n));
        return true;
      }
      if (n == 0) return false;
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    }
    int wait_ms = 1000;
    if (timeout) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        timed_out_ = true;
        return false;
      }
      wait_ms = static_cast<int>(std::min<int64_t>(left.count(), 1000));
    }
    WaitFd(fd_, want_write ? POLLOUT : POLLIN, wait_ms);
  }
}

bool Conn::WriteAll(std::string_view data) {
  while (!data.empty()) {
    if (ssl_ != nullptr) {
      const int r = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
      if (r > 0) {
        data.remove_prefix(static_cast<size_t>(r));
        continue;
      }
      const int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_WANT_WRITE) {
        WaitFd(fd_, POLLOUT, 1000);
      } else if (err == SSL_ERROR_WANT_READ) {
        WaitFd(fd_, POLLIN, 1000);
      } else {
        return false;
      }
    } else {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (!WaitFd(fd_, POLLOUT, 30000)) return false;
        continue;
      }
      return false;
    }
  }
  return true;
}

bool Conn::PeerClosed() {
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if ((p.revents & (POLLHUP | POLLERR | POLLRDHUP)) != 0) return true;
  char c;
  return ::recv(fd_, &c, 1, MSG_PEEK) == 0;
}

std::string PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      const std::string hex(in.substr(i + 1, 2));
      if (std::isxdigit(static_cast<unsigned char>(hex[0])) &&
          std::isxdigit(static_cast<unsigned char>(hex[1]))) {
        out += static_cast<char>(std::stoi(hex, nullptr, 16));
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && in[i] == '+') ? ' ' : in[i];
  }
  return out;
}

std::string Request::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::string> Request::Param(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Request::Params(const std::string& name) const {
  std::vector<std::string> out;
  auto [begin, end] = query.equal_range(name);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  return out;
}

bool Request::BoolParam(const std::string& name) const {
  auto value = Param(name);
  if (!value) return false;
  return *value != "0" && Lower(*value) != "false";
}

std::optional<Request> ReadRequest(Conn& conn) {
  std::string& buf = conn.buffer();
  size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (buf.size() > (1 << 20) || !conn.Fill()) return std::nullopt;
  }
  const std::string head = buf.substr(0, end);
  buf.erase(0, end + 4);
  Request req;
  size_t line_end = head.find("\r\n");
  const std::string first = head.substr(0, line_end);
  const size_t sp1 = first.find(' ');
  const size_t sp2 = first.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) return std::nullopt;
  req.method = first.substr(0, sp1);
  req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t next = head.find("\r\n", pos);
    if (next == std::string::npos) next = head.size();
    const std::string line = head.substr(pos, next - pos);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
      // A repeated header is one comma-separated list (RFC 9110 5.3).
      auto [it, added] = req.headers.emplace(Lower(line.substr(0, colon)), value);
      if (!added) it->second += ", " + value;
    }
    pos = next + 2;
  }
  const size_t q = req.target.find('?');
  req.path = PercentDecode(req.target.substr(0, q), false);
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(req.target).substr(q + 1);
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      const size_t eq = pair.find('=');
      req.query.emplace(PercentDecode(pair.substr(0, eq), true),
                        eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1), true));
      if (amp == std::string::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  // libcurl waits up to a second for this before sending a body over 1 KiB.
  if (Lower(req.Header("expect")) == "100-continue" &&
      !conn.WriteAll("HTTP/1.1 100 Continue\r\n\r\n")) {
    return std::nullopt;
  }
  if (Lower(req.Header("transfer-encoding")) == "chunked") {
    while (true) {
      size_t eol;
      while ((eol = buf.find("\r\n")) == std::string::npos) {
        if (!conn.Fill()) return std::nullopt;
      }
      const size_t size = std::stoul(buf.substr(0, eol), nullptr, 16);
      buf.erase(0, eol + 2);
      while (buf.size() < size + 2) {
        if (!conn.Fill()) return std::nullopt;
      }
      req.body += buf.substr(0, size);
      buf.erase(0, size + 2);
      if (size == 0) break;
    }
  } else if (auto length = req.Header("content-length"); !length.empty()) {
    const size_t n = std::stoul(length);
    while (buf.size() < n) {
      if (!conn.Fill()) return std::nullopt;
    }
    req.body = buf.substr(0, n);
    buf.erase(0, n);
  }
  return req;
}

bool WriteResponse(Conn& conn, const Response& response) {
  std::string out = "HTTP/1.1 " + std::to_string(response.code) + " " +
                    std::string(http::ReasonPhrase(response.code)) +
                    "\r\nContent-Type: " + response.content_type +
                    "\r\nContent-Length: " + std::to_string(response.body.size()) +
                    "\r\nCache-Control: no-cache, private\r\n";
  for (const auto& [k, v] : response.headers) out += k + ": " + v + "\r\n";
  out += "\r\n";
  out += response.body;
  return conn.WriteAll(out);
}

bool StartChunked(Conn& conn, int code, const std::string& content_type) {
  return conn.WriteAll(
      "HTTP/1.1 " + std::to_string(code) + " " + std::string(http::ReasonPhrase(code)) +
      "\r\nContent-Type: " + content_type +
      "\r\nTransfer-Encoding: chunked\r\nCache-Control: no-cache, private\r\n\r\n");
}

bool WriteChunk(Conn& conn, std::string_view data) {
  if (data.empty()) return true;
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string out = size;
  out.append(data);
  out += "\r\n";
  return conn.WriteAll(out);
}

bool EndChunks(Conn& conn) { return conn.WriteAll("0\r\n\r\n"); }

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  std::string clean;
  for (char c : in) {
    if (!std::isspace(static_cast<unsigned char>(c))) clean += c;
  }
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out(clean.size() / 4 * 3 + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return std::nullopt;
  size_t size = static_cast<size_t>(n);
  if (!clean.empty() && clean.back() == '=') --size;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

std::string WebSocketAccept(const std::string& key) {
  const std::string joined = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest);
  return Base64(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::optional<Frame> TakeFrame(std::string& buffer, bool* bad) {
  Frame message;
  size_t offset = 0;
  bool have_first = false;
  while (true) {
    if (buffer.size() < offset + 2) return std::nullopt;
    const auto* b = reinterpret_cast<const unsigned char*>(buffer.data() + offset);
    const bool fin = (b[0] & 0x80) != 0;
    const int opcode = b[0] & 0x0F;
    const bool masked = (b[1] & 0x80) != 0;
    uint64_t len = b[1] & 0x7F;
    size_t header = 2;
    if (len == 126) {
      if (buffer.size() < offset + 4) return std::nullopt;
      len = (uint64_t{b[2]} << 8) | b[3];
      header = 4;
    } else if (len == 127) {
      if (buffer.size() < offset + 10) return std::nullopt;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
      header = 10;
    }
    if (len > (uint64_t{64} << 20)) {
      *bad = true;
      return std::nullopt;
    }
    const size_t mask_len = masked ? 4 : 0;
    if (buffer.size() < offset + header + mask_len + len) return std::nullopt;
    std::string payload = buffer.substr(offset + header + mask_len, len);
    if (masked) {
      const unsigned char* mask = b + header;
      for (size_t i = 0; i < payload.size(); ++i) payload[i] ^= static_cast<char>(mask[i % 4]);
    }
    offset += header + mask_len + len;
    if (opcode >= 8) {  // control frames may sit between fragments; return them alone
      if (!have_first) {
        buffer.erase(0, offset);
        return Frame{opcode, std::move(payload)};
      }
      // Rare: hand the control frame back after the data message is done.
      continue;
    }
    if (!have_first) {
      message.opcode = opcode;
      have_first = true;
    }
    message.payload += payload;
    if (fin) {
      buffer.erase(0, offset);
      return message;
    }
  }
}

std::string EncodeFrame(int opcode, std::string_view payload) {
  std::string out;
  out += static_cast<char>(0x80 | opcode);
  if (payload.size() < 126) {
    out += static_cast<char>(payload.size());
  } else if (payload.size() < 65536) {
    out += static_cast<char>(126);
    out += static_cast<char>((payload.size() >> 8) & 0xFF);
    out += static_cast<char>(payload.size() & 0xFF);
  } else {
    out += static_cast<char>(127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>((payload.size() >> (8 * i)) & 0xFF);
  }
  out.append(payload);
  return out;
}

std::optional<Tls> MakeTls() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) return std::nullopt;
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 7L * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("codeyard-kube-fake"), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,digitalSignature,keyEncipherment,keyCertSign"},
      {NID_ext_key_usage, "serverAuth"},
      {NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
      {NID_subject_key_identifier, "hash"},
  };
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    if (ext == nullptr) return std::nullopt;
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert, key, EVP_sha256()) == 0) return std::nullopt;
  Tls tls;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  tls.cert_pem.assign(data, static_cast<size_t>(len));
  BIO_free(bio);
  tls.ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(tls.ctx, TLS1_2_VERSION);
  // HTTP/1.1 only: advertising no ALPN keeps Go's client off HTTP/2.
  if (SSL_CTX_use_certificate(tls.ctx, cert) != 1 || SSL_CTX_use_PrivateKey(tls.ctx, key) != 1) {
    return std::nullopt;
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return tls;
}

}  // namespace codeyard::kubefake
