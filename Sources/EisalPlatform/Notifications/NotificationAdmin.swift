// Callbacks and the delivery log for an operator at the machine (`eisal admin callback …`,
// `eisal deliveries …`): the same services the HTTP extension uses, on the database file. A
// replayed delivery is picked up by a running platform's dispatchers within their idle poll.

import EisalCore
import EisalStore
import EisalStoreSQLite

/// Operator access to callbacks and deliveries on a database (either backend). Call ``shutdown()`` when done.
public struct NotificationAdmin: Sendable {
    let callbacks: any CallbackAdministration
    let queries: any DeliveryAdministration
    let client: CallbackClient

    /// On `store`; the sealing key is `settings.sealingKey` or `{dataDirectory}/callback.key`.
    public init(store: some PlatformStore, dataDirectory: String, settings: NotificationSettings = NotificationSettings()) throws {
        client = try CallbackClient(settings: settings)
        callbacks = CallbackService(store: store, policy: CallbackPolicy(mode: settings.mode),
                                    sealer: try CallbackKeySealer.load(configured: settings.sealingKey, directory: dataDirectory), client: client, clock: .system)
        queries = NotificationQueries(store: store)
    }

    /// Opens the SQLite database at `databasePath`; the sealing key is `settings.sealingKey` or the
    /// one beside the database (`callback.key`).
    public init(databasePath: String, settings: NotificationSettings = NotificationSettings()) throws {
        try self.init(store: try SQLiteStore(path: databasePath), dataDirectory: StoreConfiguration.sqlite(path: databasePath).dataDirectory, settings: settings)
    }

    /// Pings `url` for `rin` and registers it (see ``CallbackService/register(rin:url:apiKey:language:)``).
    public func register(rin: String, url: String, apiKey: String, language: String) async throws -> CallbackView {
        try await callbacks.register(rin: rin, url: url, apiKey: apiKey, language: language)
    }

    public func show(rin: String) async throws -> CallbackView { try await callbacks.show(rin: rin) }
    public func list() async throws -> [CallbackView] { try await callbacks.list() }
    public func remove(rin: String) async throws { try await callbacks.remove(rin: rin) }

    /// Deliveries, newest first; `status`: Open, Delivered or Failed.
    public func deliveries(rin: String?, status: String?, pageNo: Int, pageSize: Int) async throws -> DeliveriesPage {
        var pairs = [("pageNo", String(pageNo)), ("pageSize", String(pageSize))]
        if let status { pairs.append(("status", status)) }
        return try await queries.deliveries(rin: rin, query: QueryParameters(pairs))
    }

    /// One delivery with its attempts and body.
    public func delivery(id: String) async throws -> DeliveryView { try await queries.delivery(id: id, rin: nil) }

    /// Opens a delivered or failed delivery again (same deliveryId and body), due now.
    public func replay(id: String) async throws { try await queries.replay(id: id, rin: nil, now: PlatformClock.system.nowMilliseconds()) }

    public func shutdown() async throws { try await client.shutdown() }
}

/// What the admin uses of ``CallbackService`` (whatever its store).
protocol CallbackAdministration: Sendable {
    func register(rin: String, url: String, apiKey: String, language: String) async throws -> CallbackView
    func show(rin: String) async throws -> CallbackView
    func list() async throws -> [CallbackView]
    func remove(rin: String) async throws
}

/// What the admin uses of ``NotificationQueries`` (whatever its store).
protocol DeliveryAdministration: Sendable {
    func deliveries(rin: String?, query: QueryParameters) async throws -> DeliveriesPage
    func delivery(id: String, rin: String?) async throws -> DeliveryView
    func replay(id: String, rin: String?, now: Int64) async throws
}

extension CallbackService: CallbackAdministration {}
extension NotificationQueries: DeliveryAdministration {}
