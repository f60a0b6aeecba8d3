// What happens on a connection before and around the router, so that every answer a client can
// read is in the contract's error shape, and no connection is held without progress:
//
// - A request the HTTP parser refuses (header block over 80 KB, over 1,000 header fields, a request
//   target too long, control bytes, an HTTP version other than 1.x, TLS or binary garbage on the
//   plain port, conflicting Content-Length/Transfer-Encoding, an unknown method) is answered with
//   the contract's error body and a `correlationId`, then the connection is closed. Statuses: 431
//   for an oversized header block, 414 for an oversized target, 405 (with `Allow`) for a method
//   Eisal does not know, 400 otherwise; all 4xx, since nothing here is the server's fault.
// - CONNECT (Eisal is not a proxy) is answered 405 with `Allow` and closed: the HTTP encoder omits
//   the body of any response to CONNECT, so this answer is written here, as bytes.
// - A request head must arrive within `headTimeout` of its first byte, its body within
//   `bodyTimeout` of the head (a client trickling one byte now and then is not silence, so the idle
//   timeout alone never closes it): 408 in the contract's body, then the connection is closed.
// A parse error that happens inside a request's body (broken chunked framing) is not answered
// here: it reaches the route, whose answer (400 BadRequest, contract body) is the right one.
// An answer due while an earlier request's response is still being written waits for it.

import EisalCore
import HTTPTypes
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// The request-timing state shared by the two handlers of one connection (event-loop bound).
final class RequestClock {
    /// Waiting for the first byte of the next request head.
    var awaitingHead = true
    /// A head timer is running.
    var headTimer: Scheduled<Void>?
    var bodyTimer: Scheduled<Void>?
    /// The guard, told when a timer fires.
    weak var connectionGuard: ConnectionGuard?
    /// The connection's first byte (0x16 starts a TLS handshake).
    var firstByte: UInt8?

    func cancelTimers() {
        headTimer?.cancel()
        headTimer = nil
        bodyTimer?.cancel()
        bodyTimer = nil
    }
}

/// A rejection written below the router.
struct WireRejection {
    var status: HTTPResponse.Status
    var code: ETAErrorCode
    var message: String
    var target: String?
    var extraHeaders: [(String, String)] = []
    /// Metrics label.
    var reason: String
}

/// The first handler on the connection (after TLS): starts the head timer when the first byte of a
/// request arrives, and writes rejections as raw bytes.
final class RawResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let clock: RequestClock
    let limits: EisalHTTP1Channel.Limits
    let logger: Logger
    private var context: ChannelHandlerContext?
    private var closing = false

    init(clock: RequestClock, limits: EisalHTTP1Channel.Limits, logger: Logger) {
        self.clock = clock
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) {
        clock.cancelTimers()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        clock.cancelTimers()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if closing { return }
        if clock.firstByte == nil { clock.firstByte = unwrapInboundIn(data).getInteger(at: unwrapInboundIn(data).readerIndex) }
        if clock.awaitingHead, clock.headTimer == nil, unwrapInboundIn(data).readableBytes > 0 {
            clock.headTimer = context.eventLoop.assumeIsolated().scheduleTask(in: limits.headTimeout) { [weak self] in
                guard let self else { return }
                self.clock.headTimer = nil
                self.clock.connectionGuard?.headTimedOut()
            }
        }
        context.fireChannelRead(data)
    }

    /// Writes `rejection` as a complete HTTP/1.1 response and closes the connection.
    func reject(_ rejection: WireRejection) {
        guard let context, !closing else { return }
        closing = true
        clock.cancelTimers()
        let id = Identifiers.random(16)
        let body = JSONWriter().bytes(.object([("error", .object(
            [("code", .string(rejection.code.rawValue)), ("message", .string(rejection.message))] + (rejection.target.map { [("target", JSONValue.string($0))] } ?? [])
        ))]))
        var head = "HTTP/1.1 \(rejection.status.code) \(rejection.status.reasonPhrase)\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: \(body.count)\r\ncorrelationId: \(id)\r\nConnection: close\r\n"
        for (name, value) in rejection.extraHeaders { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        var buffer = context.channel.allocator.buffer(capacity: head.utf8.count + body.count)
        buffer.writeString(head)
        buffer.writeBytes(body)
        logger.debug("request refused below the router", metadata: ["status": "\(rejection.status.code)", "reason": "\(rejection.reason)", "correlationId": "\(id)"])
        Counter(label: "eisal_http_refused_total", dimensions: [("status", String(rejection.status.code)), ("reason", rejection.reason)]).increment()
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { [context] _ in
            Self.lingeringClose(context)
        }
    }

    /// Closes after an answer already written through the HTTP handlers (the 408 of a body that
    /// did not end in time) the same lingering way, dropping what still arrives below the parser.
    func closeAfterAnswer() {
        guard let context, !closing else { return }
        closing = true
        clock.cancelTimers()
        Self.lingeringClose(context)
    }

    /// Closes after a refusal the way servers must when the client may still be sending (RFC 9112
    /// §9.6): the write side first (FIN), then what still arrives is read and dropped for up to
    /// 2 s, then the connection is closed. A full close with the client's bytes unread makes the
    /// kernel answer RST, which can destroy the response before the client has read it.
    static func lingeringClose(_ context: ChannelHandlerContext) {
        let halfClosed = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: halfClosed)
        halfClosed.futureResult.assumeIsolated().whenComplete { result in
            guard case .success = result else {
                context.close(promise: nil)
                return
            }
            context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(2)) { context.close(promise: nil) }
        }
    }
}

/// Watches request parts and response parts after HTTP decoding: answers protocol errors, CONNECT
/// and request timeouts (through ``RawResponder``), in order with responses already under way.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Every method Eisal serves somewhere (the `Allow` of a method the parser does not know).
    static let servedMethods = "GET, HEAD, POST, PUT, DELETE"

    let clock: RequestClock
    let wire: RawResponder
    let logger: Logger
    private var context: ChannelHandlerContext?
    /// A request head was passed on and its end not yet.
    private var requestOpen = false
    /// Heads passed on whose responses have not ended yet.
    private var responsesPending = 0
    /// A rejection waiting for the response under way to end.
    private var deferred: WireRejection?
    /// Close the connection once the response under way has ended (its request was cut short).
    private var closeAfterResponse = false
    /// Swallow everything inbound (a rejection is on its way).
    private var refusing = false

    init(clock: RequestClock, wire: RawResponder, logger: Logger) {
        self.clock = clock
        self.wire = wire
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        clock.connectionGuard = self
    }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if refusing { return }
        switch unwrapInboundIn(data) {
        case let .head(head):
            clock.headTimer?.cancel()
            clock.headTimer = nil
            clock.awaitingHead = false
            if head.method == .connect {
                refuse(WireRejection(status: .methodNotAllowed, code: .methodNotAllowed, message: "CONNECT is not supported: Eisal is an API server, not a proxy.",
                                     target: "CONNECT", extraHeaders: [("Allow", Self.servedMethods)], reason: "connect"))
                return
            }
            requestOpen = true
            responsesPending += 1
            let limits = wire.limits
            clock.bodyTimer = context.eventLoop.assumeIsolated().scheduleTask(in: limits.bodyTimeout) { [weak self] in
                self?.clock.bodyTimer = nil
                self?.bodyTimedOut()
            }
        case .body:
            break
        case .end:
            clock.bodyTimer?.cancel()
            clock.bodyTimer = nil
            requestOpen = false
            clock.awaitingHead = true
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Inside a request (a broken body), the route answers: it reads the body and gets the error.
        guard !requestOpen, var rejection = Self.rejection(for: error) else {
            context.fireErrorCaught(error)
            return
        }
        if clock.firstByte == 0x16, responsesPending == 0 {
            rejection = WireRejection(status: .badRequest, code: .badRequest, message: "This port speaks plain HTTP and received a TLS handshake: use an http:// URL, or start eisal serve with --tls-self-signed or --tls-cert/--tls-key.",
                                      target: "scheme", reason: "tls-on-plain-port")
        }
        refuse(rejection)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        responsesPending = max(0, responsesPending - 1)
        guard responsesPending == 0, deferred != nil || closeAfterResponse else {
            context.write(data, promise: promise)
            return
        }
        let rejection = deferred
        let close = closeAfterResponse
        context.writeAndFlush(data).assumeIsolated().whenComplete { [weak self, context] result in
            if let rejection {
                self?.wire.reject(rejection)
            } else if close {
                if let wire = self?.wire { wire.closeAfterAnswer() } else { context.close(promise: nil) }
            }
            promise?.completeWith(result)
        }
    }

    /// Answers `rejection` now, or after the response under way.
    func refuse(_ rejection: WireRejection) {
        refusing = true
        if responsesPending > 0 { deferred = rejection } else { wire.reject(rejection) }
    }

    /// No complete head within the limit of its first byte.
    func headTimedOut() {
        refuse(WireRejection(status: .requestTimeout, code: .requestTimeout,
                             message: "The request head did not arrive within \(Self.seconds(wire.limits.headTimeout)) seconds of its first byte.",
                             target: "head", reason: "head-timeout"))
    }

    /// The body did not end within the limit: the route reading it gets ``RequestTimeoutError`` and
    /// answers 408; the connection closes after that answer.
    func bodyTimedOut() {
        guard let context, requestOpen else { return }
        closeAfterResponse = true
        context.fireErrorCaught(RequestTimeoutError(seconds: Self.seconds(wire.limits.bodyTimeout)))
    }

    static func seconds(_ amount: TimeAmount) -> Int64 { amount.nanoseconds / 1_000_000_000 }

    /// The answer to a protocol error between requests; nil for errors that are not the client's
    /// request (I/O errors), which go on to the request handling.
    static func rejection(for error: any Error) -> WireRejection? {
        switch error {
        case let parser as HTTPParserError:
            switch parser {
            case .headerOverflow:
                return WireRejection(status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large"), code: .badRequest,
                                     message: "The request head is too large: at most 80 KB of header fields, at most 1,000 fields.", target: "headers", reason: "header-overflow")
            case .invalidMethod:
                return WireRejection(status: .methodNotAllowed, code: .methodNotAllowed, message: "The request method is not one Eisal serves.",
                                     target: "method", extraHeaders: [("Allow", servedMethods)], reason: "unknown-method")
            case .invalidVersion:
                return WireRejection(status: .badRequest, code: .badRequest, message: "Only HTTP/1.0 and HTTP/1.1 are served here.", target: "version", reason: "version")
            case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment, .invalidHost, .invalidPort:
                return WireRejection(status: .badRequest, code: .badRequest, message: "The request target is not a valid URL path: \(parser).", target: "target", reason: "target")
            case .unexpectedContentLength, .invalidContentLength:
                return WireRejection(status: .badRequest, code: .badRequest, message: "Content-Length is invalid or conflicts with Transfer-Encoding.", target: "Content-Length", reason: "framing")
            default:
                return WireRejection(status: .badRequest, code: .badRequest, message: "The request could not be parsed as HTTP/1.1 (\(parser)).", target: "request", reason: "parse")
            }
        case is NIOHTTPDecoderError, is ByteToMessageDecoderError:
            return WireRejection(status: .badRequest, code: .badRequest, message: "The request could not be parsed as HTTP/1.1.", target: "request", reason: "parse")
        case is HTTP1TypeConversionError:
            return WireRejection(status: .badRequest, code: .badRequest, message: "The request head is not valid HTTP (a field name or value, the method or the target).", target: "request", reason: "head")
        default:
            return nil
        }
    }
}

/// A request body that did not arrive in time (answered 408 by the error middleware).
struct RequestTimeoutError: Error, CustomStringConvertible {
    var seconds: Int64
    var description: String { "The request body did not arrive within \(seconds) seconds of its head." }
}
