// HttpServer's second half (see http_server_impl.hpp): requests go to a worker pool and come
// back through the completion queue; answers are written one lws_write per WRITEABLE callback.
#include <libwebsockets.h>

#include "http_server_impl.hpp"

namespace codeyard::server {

// ---- handing requests to workers and back -----------------------------------------------

int HttpServer::Impl::Dispatch(Conn& c) {
  c.phase = Phase::kHandling;
  // Never blocks, or reads local storage: no hand-off, answered in this callback. A read only
  // while fewer pool tasks run than there are reader connections, so one is free: the pools'
  // threads are the ones that hold them, and waiting for a holder starved of CPU on a busy
  // machine would stall this thread with it.
  const bool inline_read =
      c.work == Work::kRead && opts_.inline_reads > 0 && read_guard_.Allows(SteadyClock::now()) &&
      pool_->load() + long_pool_->load() < static_cast<std::size_t>(opts_.inline_reads);
  if (c.work == Work::kInline || inline_read) {
    const InlineReadGuard::Clock::time_point started =
        inline_read ? read_guard_.Begin() : InlineReadGuard::Clock::time_point();
    Response response = RunHandler(std::move(c.request));
    if (inline_read) read_guard_.Ran(started);
    c.body_charge = {};
    return Respond(c, std::move(response), false);
  }
  lws_set_timeout(c.wsi, PENDING_TIMEOUT_HTTP_CONTENT, opts_.handler_timeout_seconds);
  // Read nothing more until the answer is ready: with input pipelined behind a request with
  // a body, lws would otherwise spin on it meanwhile. lws sends no WRITEABLE to a
  // flow-controlled connection, so Respond turns reading back on.
  // A streamed upload is the exception: it is read while the handler runs (request_body.hpp).
  if (!c.upload) {
    (void)lws_rx_flow_control(c.wsi, 0);
    c.rx_paused = true;
  }
  const uint64_t id = c.id;
  const bool is_long = c.work == Work::kLong;
  WorkerPool& pool = is_long ? *long_pool_ : *pool_;
  // The body's charge travels with the request and is released before the answer is handed
  // back: a client that has its answer must find the budget free again (were it released with
  // the task, after Complete, a preempted worker would still hold it when the next request
  // arrives, and a budget filled to the byte refused that one).
  const bool queued = pool.TrySubmit(
      [this, id, request = std::move(c.request), charge = std::move(c.body_charge)]() mutable {
        Response response = RunHandler(std::move(request));
        charge = BodyBudget::Charge();
        // A streamed body: this thread goes on to produce it once the headers are handed over
        // (the route's pool bounds how many run), blocked by the pipe while the client lags.
        std::shared_ptr<BodyPipe> pipe;
        std::function<void(BodyPipe&)> produce;
        if (response.stream) {
          pipe = response.stream->pipe;
          produce = std::move(response.stream->produce);
          pipe->SetWake([this, id] { StreamReady(id); });
        }
        Complete(id, std::move(response));
        if (produce) Produce(produce, *pipe);
      });
  if (!queued) {
    // Refused at once, never queued behind the work that fills the pool.
    Error busy = is_long ? Error(Error::Code::kUnavailable,
                                 "the server is running as many long requests (exec, runs, "
                                 "workspace starts) as it can; retry later")
                               .WithLimit("server.max_long_requests", kRetryLongWorkS)
                         : Error(Error::Code::kUnavailable, "the server is busy; retry later")
                               .WithLimit("", kRetryBusyS);
    return Respond(c, ErrorResponse(503, busy, c.request_id), false);
  }
  return 0;
}

Response HttpServer::Impl::RunHandler(Request request) const {
  const std::string request_id = request.request_id;
  try {
    return opts_.handler(std::move(request));
  } catch (const std::exception& e) {
    opts_.logger->Error("request handler threw",
                        {{"request_id", request_id}, {"exception", e.what()}});
  } catch (...) {
    opts_.logger->Error("request handler threw", {{"request_id", request_id}});
  }
  return ErrorResponse(codeyard::Error(Error::Code::kInternal, "internal error"), request_id);
}

void HttpServer::Impl::Complete(uint64_t conn_id, Response response) {
  bool first = false;
  {
    std::lock_guard lock(done_mu_);
    first = done_.empty() && streams_ready_.empty() && uploads_drained_.empty();
    done_.emplace_back(conn_id, std::move(response));
  }
  // One wake per batch: the service thread takes every queued response when it wakes, so a
  // response queued behind another needs no wake (and no syscall) of its own.
  if (first) Wake();
}

void HttpServer::Impl::StreamReady(uint64_t conn_id) {
  bool first = false;
  {
    std::lock_guard lock(done_mu_);
    first = done_.empty() && streams_ready_.empty() && uploads_drained_.empty();
    streams_ready_.push_back(conn_id);
  }
  if (first) Wake();
}

void HttpServer::Impl::UploadDrained(uint64_t conn_id) {
  bool first = false;
  {
    std::lock_guard lock(done_mu_);
    first = done_.empty() && streams_ready_.empty() && uploads_drained_.empty();
    uploads_drained_.push_back(conn_id);
  }
  if (first) Wake();
}

void HttpServer::Impl::Produce(const std::function<void(BodyPipe&)>& produce, BodyPipe& pipe) {
  try {
    produce(pipe);
  } catch (const std::exception& e) {
    opts_.logger->Error("stream producer threw", {{"exception", e.what()}});
  } catch (...) {
    opts_.logger->Error("stream producer threw", {});
  }
  pipe.Finish(false);  // no-op after the producer's own Finish
}

void HttpServer::Impl::DeliverResponses() {
  std::vector<std::pair<uint64_t, Response>> ready;
  std::vector<uint64_t> streams;
  std::vector<uint64_t> drained;
  {
    std::lock_guard lock(done_mu_);
    ready.swap(done_);
    streams.swap(streams_ready_);
    drained.swap(uploads_drained_);
  }
  for (const uint64_t id : drained) {
    const auto it = conns_.find(id);
    if (it == conns_.end() || !it->second->upload_paused) continue;
    it->second->upload_paused = false;
    (void)lws_rx_flow_control(it->second->wsi, 1);
  }
  for (const uint64_t id : streams) {
    const auto it = conns_.find(id);
    if (it == conns_.end() || it->second->phase != Phase::kWriting) continue;
    lws_callback_on_writable(it->second->wsi);
  }
  for (auto& [id, response] : ready) {
    const auto it = conns_.find(id);
    if (it == conns_.end() || it->second->phase != Phase::kHandling) continue;  // closed
    (void)Respond(*it->second, std::move(response), false);
  }
}

Response HttpServer::Impl::MakeError(const Conn& c, int status, Error::Code code,
                                     std::string message) const {
  return ErrorResponse(status, codeyard::Error(code, std::move(message)), c.request_id);
}

// ---- writing (one lws_write per WRITEABLE callback) -------------------------------------

int HttpServer::Impl::Respond(Conn& c, Response response, bool close_after) {
  c.response = std::move(response);
  // A streamed body has no length: its end is the connection's.
  c.close_after = close_after || c.response.stream != nullptr;
  c.phase = Phase::kWriting;
  c.headers_sent = false;
  c.body_offset = 0;
  // Answered before its upload was all read (the program answered early, or failed): the
  // rest is not read, so the connection cannot carry another request.
  if (c.upload && !c.upload->complete()) {
    c.upload->Cancel();
    c.close_after = true;
  }
  if (c.upload_paused) {  // lws sends no WRITEABLE to a flow-controlled connection
    (void)lws_rx_flow_control(c.wsi, 1);
    c.upload_paused = false;
  }
  if (c.rx_paused) {  // see Dispatch
    (void)lws_rx_flow_control(c.wsi, 1);
    c.rx_paused = false;
  }
  // Re-armed after each chunk: a client that takes nothing for this long is cut off.
  lws_set_timeout(c.wsi, PENDING_TIMEOUT_HTTP_CONTENT, opts_.request_timeout_seconds);
  lws_callback_on_writable(c.wsi);
  return 0;
}

int HttpServer::Impl::OnWriteable(const Pss* pss) {
  Conn* c = Find(pss);
  if (c == nullptr || c->phase != Phase::kWriting) return 0;
  const bool streamed = c->response.stream != nullptr;
  if (!c->headers_sent) {
    // A small body goes out with the headers, in one write and this one callback.
    const bool with_body = !streamed && !c->head_only && c->response.body.size() <= kBodyChunk;
    if (WriteHeaders(*c, with_body) != 0) return -1;
    c->headers_sent = true;
    if (c->head_only || (!streamed && (with_body || c->response.body.empty()))) {
      return Finish(*c);
    }
    lws_callback_on_writable(c->wsi);
    return 0;
  }
  if (streamed) return WriteStreamed(*c);
  const std::string& body = c->response.body;
  const std::size_t n = std::min(kBodyChunk, body.size() - c->body_offset);
  const bool last = c->body_offset + n == body.size();
  scratch_.resize(LWS_PRE + n);
  std::memcpy(scratch_.data() + LWS_PRE, body.data() + c->body_offset, n);
  if (lws_write(c->wsi, scratch_.data() + LWS_PRE, n,
                last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < 0) {
    return -1;
  }
  c->body_offset += n;
  if (last) return Finish(*c);
  lws_set_timeout(c->wsi, PENDING_TIMEOUT_HTTP_CONTENT, opts_.request_timeout_seconds);
  lws_callback_on_writable(c->wsi);
  return 0;
}

// One chunk of a streamed body per callback. With nothing to write yet, no callback is armed:
// the producer's next write wakes the service thread (StreamReady). lws calls WRITEABLE only
// once what it buffered of earlier writes is sent, so at the end everything has gone out and
// Finish may close the connection, which marks the body's end.
int HttpServer::Impl::WriteStreamed(Conn& c) {
  BodyPipe& pipe = *c.response.stream->pipe;
  // Sized once (a resize that grows zero-fills), and used for nothing else.
  if (stream_out_.empty()) stream_out_.resize(LWS_PRE + kStreamChunk);
  std::size_t n = 0;
  switch (pipe.Next(stream_out_.data() + LWS_PRE, kStreamChunk, &n)) {
    case BodyPipe::Take::kEmpty:
      return 0;
    case BodyPipe::Take::kEnd:
      return Finish(c);
    case BodyPipe::Take::kFailed:
      // Closed without its end: the client sees a short body (logged as aborted on close).
      opts_.logger->Warn("streamed response broken off", {{"request_id", c.request_id}});
      return -1;
    case BodyPipe::Take::kData:
      break;
  }
  if (lws_write(c.wsi, stream_out_.data() + LWS_PRE, n, LWS_WRITE_HTTP) < 0) {
    return -1;
  }
  lws_set_timeout(c.wsi, PENDING_TIMEOUT_HTTP_CONTENT, opts_.request_timeout_seconds);
  lws_callback_on_writable(c.wsi);
  return 0;
}

int HttpServer::Impl::WriteHeaders(Conn& c, bool with_body) {
  if (!c.cors_origin.empty()) CorsPolicy::AddResponseHeaders(c.cors_origin, c.response.headers);
  if (!hsts_.empty()) c.response.headers.emplace_back("Strict-Transport-Security", hsts_);
  if (!WriteResponseHeaders(c.wsi, c.response, c.request_id, c.head_only, c.close_after, scratch_,
                            with_body ? std::string_view(c.response.body) : std::string_view())) {
    opts_.logger->Error("cannot write response headers", {{"request_id", c.request_id}});
    return -1;
  }
  return 0;
}

int HttpServer::Impl::Finish(Conn& c) {
  LogAccess(c, c.response.status, false);
  lws* wsi = c.wsi;
  const bool close = c.close_after;
  Reset(c, wsi);  // idle; frees the request and response
  if (close) return -1;
  lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
  reused_.insert(wsi);
  // May start the next pipelined request at once (re-entering OnHttp): touch nothing after.
  return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
}

void HttpServer::Impl::LogAccess(const Conn& c, int status, bool aborted) const {
  const double ms =
      std::chrono::duration<double, std::milli>(SteadyClock::now() - c.started).count();
  if (opts_.on_request_done) {
    const bool answered = c.phase == Phase::kWriting && !c.response.route.empty();
    opts_.on_request_done(RequestDone{c.method, answered ? c.response.route : "server", status,
                                      c.phase == Phase::kWriting ? c.response.limit : "",
                                      ms / 1000.0, aborted});
  }
  const double rounded = std::round(ms * 1000.0) / 1000.0;
  if (aborted) {
    opts_.logger->Info("request aborted", {{"method", c.method},
                                           {"path", LoggedPath(c.path)},
                                           {"status", status},
                                           {"duration_ms", rounded},
                                           {"request_id", c.request_id}});
    return;
  }
  // Written with the turn's other access lines after lws_service returns (ServiceThread).
  opts_.logger->LogDeferred(LogLevel::kInfo, "request",
                            {{"method", c.method},
                             {"path", LoggedPath(c.path)},
                             {"status", status},
                             {"duration_ms", rounded},
                             {"request_id", c.request_id}});
}

}  // namespace codeyard::server
