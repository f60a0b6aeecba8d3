// The ERP side of callbacks (issue 16, item 6; spec/notifications.md): the four routes the
// platform calls, mountable on any Hummingbird router (under any base path):
//   PUT /ping                     {"rin"} → 200 {"rin"} when the key and the RIN are ours
//   PUT /notifications/receipts   {deliveryId, type, count, message[]}
//   PUT /notifications/documents  the same, for documents (seed erp-receive-document-notifications)
//   PUT /notifications            general notifications (POS device events)
// Every call must carry `Authorization: ApiKey <key>`, compared in constant time (401 otherwise).
// Messages already recorded in the inbox are skipped, each other one is handed to the handler,
// and 200 is answered only once all of them were handled and recorded; a delivery already
// complete is answered 200 at once. A handler that throws gets 500 (what it handled is recorded),
// so the platform retries the same delivery and the handler sees only what it has not handled.

import EisalCore
import Hummingbird
import Logging
import Synchronization

/// Receives the platform's callbacks and hands each notification to `handler` once.
public struct CallbackReceiver: Sendable {
    /// What the receiver accepts.
    public struct Configuration: Sendable {
        /// The pre-shared key registered with the callback (sent as `Authorization: ApiKey <key>`).
        public var apiKey: String
        /// The taxpayers (RINs) this ERP answers Ping for.
        public var rins: Set<String>
        /// The largest delivery body. Default 8 MiB.
        public var maximumBodyBytes: Int

        /// A configuration; `maximumBodyBytes` defaults to 8 MiB.
        public init(apiKey: String, rins: Set<String>, maximumBodyBytes: Int = 8 << 20) {
            self.apiKey = apiKey
            self.rins = rins
            self.maximumBodyBytes = maximumBodyBytes
        }
    }

    /// Called once for each notification (again only if it threw).
    public typealias Handler = @Sendable (ReceivedNotification) async throws -> Void

    let configuration: Configuration
    let inbox: any NotificationInbox
    let handler: Handler
    let logger: Logger
    let inFlight = InFlightDeliveries()

    /// A receiver that records progress in `inbox` and hands each notification to `handler`;
    /// it logs to `logger` (default label `eisal.receiver`).
    public init(configuration: Configuration, inbox: any NotificationInbox, logger: Logger = Logger(label: "eisal.receiver"), handler: @escaping Handler) {
        self.configuration = configuration
        self.inbox = inbox
        self.handler = handler
        self.logger = logger
    }

    /// Adds the routes to `router` (or a group of it: the routes are relative to its path).
    public func register<Context: RequestContext>(on router: some RouterMethods<Context>) {
        router.put("ping") { request, _ in try await ping(request) }
        for channel in NotificationChannel.allCases {
            router.put(RouterPath(channel.rawValue)) { request, _ in try await receive(request, channel: channel) }
        }
    }

    func ping(_ request: Request) async throws -> Response {
        if let refusal = authenticate(request) { return refusal }
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let rin = (try? JSONParser().parse(Array(buffer: body)))?.root["rin"]?.string else {
            return Self.error(.badRequest, "BadRequest", "The body must be {\"rin\": \"<taxpayer RIN>\"}.")
        }
        guard configuration.rins.contains(rin) else {
            logger.warning("ping for a RIN this receiver does not serve", metadata: ["rin": "\(rin)"])
            return Self.error(.badRequest, "UnknownRIN", "This ERP does not receive notifications for taxpayer \(rin).")
        }
        logger.info("ping answered", metadata: ["rin": "\(rin)"])
        return Self.json(.ok, JSONWriter().bytes(.object([("rin", .string(rin))])))
    }

    func receive(_ request: Request, channel: NotificationChannel) async throws -> Response {
        if let refusal = authenticate(request) { return refusal }
        let bytes = Array(buffer: try await request.body.collect(upTo: configuration.maximumBodyBytes))
        let delivery: ReceivedDelivery
        do { delivery = try ReceivedDelivery(bytes, channel: channel) } catch {
            logger.warning("delivery refused", metadata: ["reason": "\(error.description)"])
            return Self.error(.badRequest, "BadRequest", error.description)
        }
        if let declared = delivery.declaredCount, declared != delivery.messages.count {
            logger.warning("delivery count differs from its messages", metadata: ["delivery": "\(delivery.deliveryId)", "count": "\(declared)", "messages": "\(delivery.messages.count)"])
        }
        guard inFlight.begin(delivery.deliveryId) else {
            // The same delivery is being handled by another call: the platform will retry.
            return Self.error(.conflict, "InProgress", "Delivery \(delivery.deliveryId) is being handled.")
        }
        defer { inFlight.end(delivery.deliveryId) }
        let progress = try await inbox.progress(of: delivery.deliveryId)
        if progress.complete {
            logger.debug("delivery already handled", metadata: ["delivery": "\(delivery.deliveryId)"])
            return Response(status: .ok)
        }
        var handled: [ReceivedNotification] = []
        handled.reserveCapacity(delivery.messages.count)
        for notification in delivery.messages where !progress.handled.contains(notification.index) {
            do {
                try await handler(notification)
            } catch {
                logger.error("notification handler failed; the delivery will be retried", metadata: ["delivery": "\(delivery.deliveryId)", "index": "\(notification.index)", "error": "\(error)"])
                try await inbox.record(handled, deliveryId: delivery.deliveryId, channel: channel, complete: false, count: delivery.messages.count)
                return Self.error(.internalServerError, "HandlerFailed", "Handling message \(notification.index) of delivery \(delivery.deliveryId) failed.")
            }
            handled.append(notification)
        }
        try await inbox.record(handled, deliveryId: delivery.deliveryId, channel: channel, complete: true, count: delivery.messages.count)
        return Response(status: .ok)
    }

    /// nil when the request carries our key; else the 401 to answer.
    func authenticate(_ request: Request) -> Response? {
        let header = request.headers[.authorization] ?? ""
        let scheme = "apikey "
        let given = header.lowercased().hasPrefix(scheme) ? Array(header.utf8.dropFirst(scheme.utf8.count)) : []
        if ConstantTime.equal(given, Array(configuration.apiKey.utf8)) { return nil }
        logger.warning("callback with a wrong or missing API key", metadata: ["path": "\(request.uri.path)"])
        return Self.error(.unauthorized, "Unauthorized", "Authorization must be 'ApiKey <the key registered with the callback>'.")
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        json(status, JSONWriter().bytes(.object([("error", .object([("code", .string(code)), ("message", .string(message))]))])))
    }

    static func json(_ status: HTTPResponse.Status, _ body: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Deliveries being handled right now (a second call with the same id is told to come back).
final class InFlightDeliveries: Sendable {
    private let ids = Mutex(Set<String>())

    func begin(_ id: String) -> Bool { ids.withLock { $0.insert(id).inserted } }
    func end(_ id: String) { _ = ids.withLock { $0.remove(id) } }
}

/// Comparison whose time does not depend on where two keys differ.
enum ConstantTime {
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        let n = max(a.count, b.count)
        for i in 0 ..< n {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            difference |= x ^ y
        }
        return difference == 0 && !b.isEmpty
    }
}
