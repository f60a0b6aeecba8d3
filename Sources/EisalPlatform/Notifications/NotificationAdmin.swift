// Callbacks and the delivery log for an operator at the machine (`eisal admin callback …`,
// `eisal deliveries …`): the same services the HTTP extension uses, on the database file. A
// replayed delivery is picked up by a running platform's dispatchers within their idle poll.

import EisalCore
import EisalStore
import EisalStoreSQLite

/// Operator access to callbacks and deliveries on a database file. Call ``shutdown()`` when done.
public struct NotificationAdmin: Sendable {
    let callbacks: CallbackService<SQLiteStore>
    let queries: NotificationQueries<SQLiteStore>
    let client: CallbackClient

    /// Opens the database at `databasePath`; the sealing key is `settings.sealingKey` or the one
    /// beside the database (`callback.key`).
    public init(databasePath: String, settings: NotificationSettings = NotificationSettings()) throws {
        let store = try SQLiteStore(path: databasePath)
        let directory = StoreConfiguration.sqlite(path: databasePath).dataDirectory
        client = try CallbackClient(settings: settings)
        callbacks = CallbackService(store: store, policy: CallbackPolicy(mode: settings.mode), sealer: try CallbackKeySealer.load(configured: settings.sealingKey, directory: directory),
                                    client: client, clock: .system)
        queries = NotificationQueries(store: store)
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
