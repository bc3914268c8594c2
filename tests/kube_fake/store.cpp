#include "store.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <utility>

#include "codeyard/id.hpp"

namespace codeyard::kubefake {

namespace {

constexpr size_t kEventWindow = 2000;
constexpr size_t kMaxEventObjects = 5000;

std::string Key(const std::string& ns, const std::string& name) { return ns + "/" + name; }

std::string Trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t"));
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

}  // namespace

ApiError MakeStatus(int code, const std::string& reason, const std::string& message,
                    json::object details) {
  ApiError e;
  e.code = code;
  e.status = {{"kind", "Status"},
              {"apiVersion", "v1"},
              {"metadata", json::object{}},
              {"status", "Failure"},
              {"message", message}};
  if (!reason.empty()) e.status["reason"] = reason;
  if (!details.empty()) e.status["details"] = std::move(details);
  e.status["code"] = code;
  return e;
}

ApiError NotFound(const std::string& resource, const std::string& name) {
  return MakeStatus(404, "NotFound", resource + " \"" + name + "\" not found",
                    {{"name", name}, {"kind", resource}});
}

ApiError AlreadyExists(const std::string& resource, const std::string& name) {
  return MakeStatus(409, "AlreadyExists", resource + " \"" + name + "\" already exists",
                    {{"name", name}, {"kind", resource}});
}

ApiError Conflict(const std::string& resource, const std::string& name) {
  return MakeStatus(409, "Conflict",
                    "Operation cannot be fulfilled on " + resource + " \"" + name +
                        "\": the object has been modified; please apply your changes to the "
                        "latest version and try again",
                    {{"name", name}, {"kind", resource}});
}

ApiError NoSuchPath() {
  return MakeStatus(404, "NotFound", "the server could not find the requested resource");
}

ApiError BadRequest(const std::string& message) { return MakeStatus(400, "BadRequest", message); }

ApiError Invalid(const std::string& kind, const std::string& name,
                 const std::vector<Cause>& causes) {
  json::array list;
  std::string joined;
  for (const auto& c : causes) {
    list.push_back({{"reason", c.reason}, {"message", c.message}, {"field", c.field}});
    if (!joined.empty()) joined += ", ";
    joined += c.field + ": " + c.message;
  }
  if (causes.size() > 1) joined = "[" + joined + "]";
  return MakeStatus(422, "Invalid", kind + " \"" + name + "\" is invalid: " + joined,
                    {{"name", name}, {"kind", kind}, {"causes", std::move(list)}});
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Rfc3339Nano(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()) %
                  std::chrono::seconds(1);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%09lldZ", static_cast<long long>(ns.count()));
  return std::string(buf) + frac;
}

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(const std::string& s) {
  std::tm tm{};
  std::istringstream in(s);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string CheckSubdomain(const std::string& name) {
  static const std::string kMessage =
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
      "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
      "regex used for validation is "
      "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  if (name.empty()) return "Required value: name or generateName is required";
  if (name.size() > 253)
    return "Invalid value: \"" + name + "\": must be no more than 253 characters";
  bool ok = true;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    const std::string part = name.substr(start, dot - start);
    if (part.empty() || !std::isalnum(static_cast<unsigned char>(part.front())) ||
        !std::isalnum(static_cast<unsigned char>(part.back()))) {
      ok = false;
    }
    for (char c : part) {
      if (!(std::islower(static_cast<unsigned char>(c)) ||
            std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
        ok = false;
      }
    }
    start = dot + 1;
  }
  return ok ? "" : "Invalid value: \"" + name + "\": " + kMessage;
}

const json::object* ObjectAt(const json::object& object, const std::string& key) {
  auto* v = object.if_contains(key);
  return v != nullptr ? v->if_object() : nullptr;
}

std::string FieldValue(const json::object& object, const std::string& path) {
  const json::object* cur = &object;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
    auto* v = cur->if_contains(part);
    if (v == nullptr) return "";
    if (dot == std::string::npos) {
      if (v->is_string()) return std::string(v->as_string());
      if (v->is_null()) return "";
      return json::serialize(*v);
    }
    cur = v->if_object();
    if (cur == nullptr) return "";
    start = dot + 1;
  }
}

namespace {

// Splits on commas outside parentheses.
std::vector<std::string> SplitTerms(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty() || !out.empty()) out.push_back(cur);
  return out;
}

std::optional<std::vector<std::string>> SetValues(const std::string& rest) {
  const std::string t = Trim(rest);
  if (t.size() < 2 || t.front() != '(' || t.back() != ')') return std::nullopt;
  std::vector<std::string> values;
  std::stringstream in(t.substr(1, t.size() - 2));
  std::string v;
  while (std::getline(in, v, ',')) values.push_back(Trim(v));
  return values;
}

}  // namespace

std::optional<Selector> ParseLabelSelector(const std::string& text) {
  Selector out;
  for (std::string term : SplitTerms(text)) {
    term = Trim(term);
    if (term.empty()) return std::nullopt;
    Requirement r;
    if (term[0] == '!') {
      r.key = Trim(term.substr(1));
      r.op = "!exists";
    } else if (auto p = term.find("!="); p != std::string::npos) {
      r.key = Trim(term.substr(0, p));
      r.op = "!=";
      r.values = {Trim(term.substr(p + 2))};
    } else if (auto p2 = term.find("=="); p2 != std::string::npos) {
      r.key = Trim(term.substr(0, p2));
      r.op = "=";
      r.values = {Trim(term.substr(p2 + 2))};
    } else if (auto p3 = term.find('='); p3 != std::string::npos) {
      r.key = Trim(term.substr(0, p3));
      r.op = "=";
      r.values = {Trim(term.substr(p3 + 1))};
    } else if (auto p4 = term.find(" notin "); p4 != std::string::npos) {
      r.key = Trim(term.substr(0, p4));
      r.op = "notin";
      auto values = SetValues(term.substr(p4 + 7));
      if (!values) return std::nullopt;
      r.values = *values;
    } else if (auto p5 = term.find(" in "); p5 != std::string::npos) {
      r.key = Trim(term.substr(0, p5));
      r.op = "in";
      auto values = SetValues(term.substr(p5 + 4));
      if (!values) return std::nullopt;
      r.values = *values;
    } else {
      r.key = term;
      r.op = "exists";
    }
    if (r.key.empty() || r.key.find(' ') != std::string::npos) return std::nullopt;
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<Selector> ParseFieldSelector(const std::string& text) {
  Selector out;
  for (std::string term : SplitTerms(text)) {
    term = Trim(term);
    if (term.empty()) return std::nullopt;
    Requirement r;
    if (auto p = term.find("!="); p != std::string::npos) {
      r.key = term.substr(0, p);
      r.op = "!=";
      r.values = {term.substr(p + 2)};
    } else if (auto p2 = term.find("=="); p2 != std::string::npos) {
      r.key = term.substr(0, p2);
      r.op = "=";
      r.values = {term.substr(p2 + 2)};
    } else if (auto p3 = term.find('='); p3 != std::string::npos) {
      r.key = term.substr(0, p3);
      r.op = "=";
      r.values = {term.substr(p3 + 1)};
    } else {
      return std::nullopt;
    }
    out.push_back(std::move(r));
  }
  return out;
}

bool MatchesLabels(const json::object& object, const Selector& selector) {
  const json::object* meta = ObjectAt(object, "metadata");
  const json::object* labels = meta != nullptr ? ObjectAt(*meta, "labels") : nullptr;
  for (const auto& r : selector) {
    const json::value* v = labels != nullptr ? labels->if_contains(r.key) : nullptr;
    const bool has = v != nullptr && v->is_string();
    const std::string value = has ? std::string(v->as_string()) : "";
    const bool in = has && std::find(r.values.begin(), r.values.end(), value) != r.values.end();
    if (r.op == "=" && !in) return false;
    if (r.op == "in" && !in) return false;
    if ((r.op == "!=" || r.op == "notin") && in) return false;
    if (r.op == "exists" && !has) return false;
    if (r.op == "!exists" && has) return false;
  }
  return true;
}

bool MatchesFields(const json::object& object, const Selector& selector) {
  for (const auto& r : selector) {
    const std::string value = FieldValue(object, r.key);
    if (r.op == "=" && value != r.values.front()) return false;
    if (r.op == "!=" && value == r.values.front()) return false;
  }
  return true;
}

Store::Store(std::string state_file) : state_file_(std::move(state_file)) {}

std::vector<json::object> Store::Load() {
  std::vector<json::object> live_pods;
  if (state_file_.empty()) return live_pods;
  std::ifstream in(state_file_);
  if (!in) return live_pods;
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value doc = json::parse(text.str(), ec);
  if (ec || !doc.is_object() || !doc.as_object().contains("rv") ||
      !doc.as_object().contains("objects")) {
    return live_pods;
  }
  std::lock_guard lock(mu_);
  rv_ = static_cast<uint64_t>(doc.as_object().at("rv").to_number<int64_t>());
  compacted_rv_ = rv_;  // the event window did not survive: every older watch gets 410
  for (const auto& entry : doc.as_object().at("objects").as_array()) {
    const std::string resource(entry.as_object().at("resource").as_string());
    json::object object = entry.as_object().at("object").as_object();
    const std::string ns = FieldValue(object, "metadata.namespace");
    const std::string name = FieldValue(object, "metadata.name");
    if (resource == "pods") {
      const std::string phase = FieldValue(object, "status.phase");
      if (phase == "Running" || phase == "Pending") live_pods.push_back(object);
    }
    objects_[resource][Key(ns, name)] = std::move(object);
  }
  return live_pods;
}

void Store::SaveLocked() {
  if (state_file_.empty()) return;
  json::array list;
  for (const auto& [resource, objects] : objects_) {
    // Events are not kept across a restart (a real cluster drops them after an hour), which
    // keeps this rewrite, done on every write, small.
    if (resource == "events") continue;
    for (const auto& [key, object] : objects) {
      list.push_back({{"resource", resource}, {"object", object}});
    }
  }
  json::object doc{{"rv", static_cast<int64_t>(rv_)}, {"objects", std::move(list)}};
  const std::string tmp = state_file_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json::serialize(doc);
  }
  std::filesystem::rename(tmp, state_file_);
}

uint64_t Store::CurrentRv() {
  std::lock_guard lock(mu_);
  return rv_;
}

bool Store::NamespaceExists(const std::string& ns) {
  std::lock_guard lock(mu_);
  return objects_["namespaces"].contains(Key("", ns));
}

void Store::RecordLocked(const std::string& type, const std::string& resource,
                         const json::object& o, const json::object* previous) {
  events_.push_back({rv_, type, resource, FieldValue(o, "metadata.namespace"), o,
                     previous != nullptr ? *previous : json::object{}});
  if (events_.size() > kEventWindow) {
    compacted_rv_ = events_.front().rv;
    events_.erase(events_.begin());
  }
  if (resource != "events") SaveLocked();
  cv_.notify_all();
}

std::optional<ApiError> Store::Create(const std::string& resource, json::object& object) {
  std::lock_guard lock(mu_);
  auto& meta = object["metadata"].as_object();
  const std::string ns = FieldValue(object, "metadata.namespace");
  const std::string name = FieldValue(object, "metadata.name");
  auto& bucket = objects_[resource];
  if (bucket.contains(Key(ns, name))) return AlreadyExists(resource, name);
  ++rv_;
  meta["uid"] = NewUuid();
  meta["resourceVersion"] = std::to_string(rv_);
  meta["creationTimestamp"] = Rfc3339(std::chrono::system_clock::now());
  bucket[Key(ns, name)] = object;
  if (resource == "events") {
    // Bounded, oldest first out, as a real cluster's event TTL would.
    event_order_.push_back(Key(ns, name));
    while (event_order_.size() > kMaxEventObjects) {
      bucket.erase(event_order_.front());
      event_order_.pop_front();
    }
  }
  RecordLocked("ADDED", resource, object);
  return std::nullopt;
}

std::optional<json::object> Store::Get(const std::string& resource, const std::string& ns,
                                       const std::string& name) {
  std::lock_guard lock(mu_);
  auto& bucket = objects_[resource];
  auto it = bucket.find(Key(ns, name));
  if (it == bucket.end()) return std::nullopt;
  return it->second;
}

std::vector<json::object> Store::List(const std::string& resource, const std::string& ns,
                                      uint64_t* rv) {
  std::lock_guard lock(mu_);
  std::vector<json::object> out;
  for (const auto& [key, object] : objects_[resource]) {
    if (ns.empty() || FieldValue(object, "metadata.namespace") == ns) out.push_back(object);
  }
  *rv = rv_;
  return out;
}

std::optional<json::object> Store::Update(const std::string& resource, const std::string& ns,
                                          const std::string& name,
                                          const std::function<bool(json::object&)>& change,
                                          const std::string& uid) {
  std::lock_guard lock(mu_);
  auto& bucket = objects_[resource];
  auto it = bucket.find(Key(ns, name));
  if (it == bucket.end()) return std::nullopt;
  if (!uid.empty() && FieldValue(it->second, "metadata.uid") != uid) return std::nullopt;
  json::object copy = it->second;
  if (!change(copy)) return it->second;
  ++rv_;
  copy["metadata"].as_object()["resourceVersion"] = std::to_string(rv_);
  const json::object previous = std::exchange(it->second, copy);
  RecordLocked("MODIFIED", resource, copy, &previous);
  return copy;
}

std::optional<json::object> Store::Remove(const std::string& resource, const std::string& ns,
                                          const std::string& name, const std::string& uid) {
  std::lock_guard lock(mu_);
  auto& bucket = objects_[resource];
  auto it = bucket.find(Key(ns, name));
  if (it == bucket.end()) return std::nullopt;
  if (!uid.empty() && FieldValue(it->second, "metadata.uid") != uid) return std::nullopt;
  json::object object = std::move(it->second);
  bucket.erase(it);
  ++rv_;
  object["metadata"].as_object()["resourceVersion"] = std::to_string(rv_);
  RecordLocked("DELETED", resource, object);
  return object;
}

std::vector<WatchEvent> Store::EventsAfter(const std::string& resource, uint64_t rv,
                                           std::chrono::steady_clock::time_point until,
                                           bool* expired, uint64_t* oldest) {
  std::unique_lock lock(mu_);
  *expired = false;
  std::vector<WatchEvent> out;
  while (true) {
    if (rv < compacted_rv_) {
      *expired = true;
      *oldest = compacted_rv_ + 1;
      return out;
    }
    for (const auto& e : events_) {
      if (e.rv > rv && e.resource == resource) out.push_back(e);
    }
    if (!out.empty()) return out;
    if (cv_.wait_until(lock, until) == std::cv_status::timeout) return out;
  }
}

void Store::Compact() {
  std::lock_guard lock(mu_);
  events_.clear();
  compacted_rv_ = rv_;
  cv_.notify_all();
}

void Store::WakeAll() { cv_.notify_all(); }

}  // namespace codeyard::kubefake
