// The notification APIs: Eisal's extension for registering a callback and reading the delivery
// log (`/eisal/callback`, `/eisal/deliveries…`, an ERP token of the taxpayer), the same for
// operators over every taxpayer (`/admin/callbacks/{rin}`, `/admin/deliveries…`, X-Admin-Key),
// and ETA's documented taxpayer query `GET /api/v1.0/notifications/taxpayer` (spec/notifications.md).

import EisalCore
import EisalStore
import Hummingbird

/// What the notification APIs answer.
struct NotificationQueries<Store: NotificationStore>: Sendable {
    let store: Store

    static func time(_ milliseconds: Int64) -> String { UTCDateTime(secondsSinceEpoch: milliseconds / 1000).iso8601 }

    static func attempts(_ log: DeliveryLogEntry?) -> [DeliveryAttemptView] {
        (log?.attempts ?? []).map {
            DeliveryAttemptView(attemptDateTime: time($0.at), status: $0.statusCode == 200 ? "Delivered" : "Failed", httpStatus: $0.statusCode,
                                latencyMs: Int($0.latencyMilliseconds), statusDetails: $0.error)
        }
    }

    static func status(_ state: DeliveryRecord.State) -> String {
        switch state {
        case .open: "Open"
        case .delivered: "Delivered"
        case .failed: "Failed"
        }
    }

    static func view(_ d: DeliveryRecord, log: DeliveryLogEntry?) -> DeliveryView {
        DeliveryView(deliveryId: d.id, rin: d.recipientRIN, path: d.path.rawValue, status: status(d.state), count: d.count, createdDateTime: time(d.createdAt),
                     deliveredDateTime: d.deliveredAt.map(time), nextAttemptDateTime: d.state == .open ? time(d.nextAttemptAt) : nil,
                     attempts: log.map { _ in attempts(log) }, body: log.flatMap { _ in try? JSONParser().parse(d.body).root.value })
    }

    func deliveries(rin: String?, query: QueryParameters) async throws -> DeliveriesPage {
        let (pageNo, pageSize) = try query.paging()
        var state: DeliveryRecord.State?
        if let text = query["status"] {
            guard let parsed = [DeliveryRecord.State.open, .delivered, .failed].first(where: { Self.status($0).lowercased() == text.lowercased() }) else {
                throw PlatformError.badArgument("status must be Open, Delivered or Failed.", target: "status")
            }
            state = parsed
        }
        let page = try await store.deliveries(recipientRIN: rin, state: state, pageNo: pageNo, pageSize: pageSize)
        return DeliveriesPage(result: page.items.map { Self.view($0, log: nil) }, metadata: PageMetadata(totalCount: page.totalCount, pageSize: pageSize))
    }

    /// One delivery with its attempts and body; nil when there is none visible to `rin` (nil: any).
    func delivery(id: String, rin: String?) async throws -> DeliveryView {
        guard let log = try await store.deliveryLog(id: id), rin == nil || log.delivery.recipientRIN == rin else { throw PlatformError.notFound("Delivery \(id)", target: "deliveryId") }
        return Self.view(log.delivery, log: log)
    }

    func replay(id: String, rin: String?, now: Int64) async throws {
        guard let log = try await store.deliveryLog(id: id), rin == nil || log.delivery.recipientRIN == rin else { throw PlatformError.notFound("Delivery \(id)", target: "deliveryId") }
        guard try await store.replayDelivery(id: id, now: now) else {
            throw PlatformError(.conflict, code: .conflict, message: "Delivery \(id) is still open: it is being retried.", target: "deliveryId")
        }
    }

    func taxpayerNotifications(rin: String, callback: CallbackRecord?, query: QueryParameters) async throws -> TaxpayerNotificationsPage {
        let (pageNo, pageSize) = try query.paging()
        var q = NotificationQuery(recipientRIN: rin, pageNo: pageNo, pageSize: pageSize)
        q.from = try query.date("dateFrom").map { $0 * 1000 }
        q.to = try query.date("dateTo").map { $0 * 1000 + 999 }
        q.type = query["type"]
        if let text = query["status"] {
            guard let state = [NotificationRecord.State.pending, .sending, .delivered, .failed].first(where: { $0.rawValue == text.lowercased() }) else {
                throw PlatformError.badArgument("status must be Pending, Sending, Delivered or Failed.", target: "status")
            }
            q.state = state
        }
        let page = try await store.notifications(q)
        let result = page.items.map { item in
            let n = item.notification
            return TaxpayerNotification(
                notificationId: String(n.id), receivedDateTime: Self.time(n.createdAt), deliveredDateTime: item.delivery?.delivery.deliveredAt.map(Self.time),
                typeId: n.type, typeName: n.type.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " "),
                finalMessage: String(decoding: n.message, as: UTF8.self), channel: "API", address: (callback?.baseURL ?? "") + "/" + n.path.rawValue,
                language: callback?.language ?? "", status: n.state.rawValue.prefix(1).uppercased() + n.state.rawValue.dropFirst(), deliveryAttempts: Self.attempts(item.delivery)
            )
        }
        return TaxpayerNotificationsPage(result: result, metadata: PageMetadata(totalCount: page.totalCount, pageSize: pageSize))
    }
}

/// Routes of the notification APIs.
struct NotificationRoutes<Store: NotificationStore>: Sendable {
    let callbacks: CallbackService<Store>
    let queries: NotificationQueries<Store>
    let clock: PlatformClock
    /// Wakes this node's dispatchers (a replayed delivery).
    let dispatchSignal: JobSignal
    let adminKey: String

    /// The caller, who must be an ERP system (callbacks belong to ERPs, not POS devices).
    static func erp(_ context: EisalRequestContext) throws -> Principal {
        let principal = try context.requirePrincipal()
        guard principal.pos == nil else {
            throw PlatformError(.forbidden, code: .forbidden, message: "Callbacks are registered and read with an ERP token of the taxpayer, not a POS token.", target: "Authorization")
        }
        return principal
    }

    /// Registers the callback in `request`'s body `{url, apiKey, language?}` for `rin`.
    func registerCallback(_ request: Request, rin: String) async throws -> Response {
        let body = try await request.body.collect(upTo: 16 * 1024)
        guard let node = try? JSONParser().parse(Array(buffer: body)).root, node.kind == .object else {
            throw PlatformError.badStructure("The body must be a JSON object {\"url\", \"apiKey\", \"language\"}.", target: "body")
        }
        guard let url = node["url"]?.string else { throw PlatformError.badArgument("url is required: the base URL of your ERP's callbacks.", target: "url") }
        guard let apiKey = node["apiKey"]?.string else { throw PlatformError.badArgument("apiKey is required: the pre-shared key the platform sends as 'Authorization: ApiKey <key>'.", target: "apiKey") }
        return try Response.json(try await callbacks.register(rin: rin, url: url, apiKey: apiKey, language: node["language"]?.string ?? "en"))
    }

    func replay(id: String, rin: String?) async throws -> Response {
        try await queries.replay(id: id, rin: rin, now: clock.nowMilliseconds())
        dispatchSignal.notify()
        return Response(status: .accepted)
    }

    func register(on router: Router<EisalRequestContext>) {
        let eisal = router.group("eisal")
        eisal.put("callback") { request, context -> Response in
            try await registerCallback(request, rin: try Self.erp(context).tin)
        }
        eisal.get("callback") { _, context -> Response in
            try Response.json(try await callbacks.show(rin: try Self.erp(context).tin))
        }
        eisal.delete("callback") { _, context -> Response in
            try await callbacks.remove(rin: try Self.erp(context).tin)
            return Response(status: .noContent)
        }
        eisal.get("deliveries") { request, context -> Response in
            try Response.json(try await queries.deliveries(rin: try Self.erp(context).tin, query: try request.queryParameters()))
        }
        eisal.get("deliveries/{id}") { _, context -> Response in
            try Response.json(try await queries.delivery(id: try context.parameters.require("id"), rin: try Self.erp(context).tin))
        }
        eisal.post("deliveries/{id}/replay") { _, context -> Response in
            try await replay(id: try context.parameters.require("id"), rin: try Self.erp(context).tin)
        }

        let admin = router.group("admin")
        let key = adminKey
        admin.get("callbacks") { request, _ -> Response in
            try AdminKey.check(request, key)
            return try Response.json(try await callbacks.list())
        }
        admin.put("callbacks/{rin}") { request, context -> Response in
            try AdminKey.check(request, key)
            return try await registerCallback(request, rin: try context.parameters.require("rin"))
        }
        admin.get("callbacks/{rin}") { request, context -> Response in
            try AdminKey.check(request, key)
            return try Response.json(try await callbacks.show(rin: try context.parameters.require("rin")))
        }
        admin.delete("callbacks/{rin}") { request, context -> Response in
            try AdminKey.check(request, key)
            try await callbacks.remove(rin: try context.parameters.require("rin"))
            return Response(status: .noContent)
        }
        admin.get("deliveries") { request, _ -> Response in
            try AdminKey.check(request, key)
            let query = try request.queryParameters()
            return try Response.json(try await queries.deliveries(rin: query["rin"], query: query))
        }
        admin.get("deliveries/{id}") { request, context -> Response in
            try AdminKey.check(request, key)
            return try Response.json(try await queries.delivery(id: try context.parameters.require("id"), rin: nil))
        }
        admin.post("deliveries/{id}/replay") { request, context -> Response in
            try AdminKey.check(request, key)
            return try await replay(id: try context.parameters.require("id"), rin: nil)
        }
        for prefix in ["api/v1.0", "api/v1"] {
            router.group(RouterPath(prefix)).get("notifications/taxpayer") { request, context -> Response in
                let principal = try context.requirePrincipal()
                let callback = try await callbacks.store.callback(taxpayerRIN: principal.tin)
                return try Response.json(try await queries.taxpayerNotifications(rin: principal.tin, callback: callback, query: try request.queryParameters()))
            }
        }
    }
}
