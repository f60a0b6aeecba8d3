// Registering a taxpayer's callback (issue 16, item 1). ETA does it in its portal; Eisal offers an
// authenticated extension (`PUT/GET/DELETE /eisal/callback`, an ERP token of the taxpayer) and
// `eisal admin callback …`. Registration first calls the ERP's Ping (`PUT {base}/ping`, body
// `{"rin"}`, the three documented headers) and succeeds only on 200 with the same RIN echoed
// (spec/notifications.md); otherwise the error names what the ERP answered.

import EisalCore
import EisalStore
import Foundation
import Hummingbird
import ServiceLifecycle

/// A registered callback as it is shown (never the key).
public struct CallbackView: Codable, Sendable, Hashable {
    public var rin: String
    public var url: String
    public var language: String
    public var registeredAt: String
    /// The key's last characters, so a taxpayer can tell which key is set.
    public var apiKeyHint: String
}

/// Registers, shows and removes callbacks.
public struct CallbackService<Store: NotificationStore>: Sendable {
    let store: Store
    let policy: CallbackPolicy
    let sealer: CallbackKeySealer
    let client: CallbackClient
    let clock: PlatformClock

    /// Pings `url` for `rin` and, if it answers as the contract says, registers it.
    public func register(rin: String, url: String, apiKey: String, language: String) async throws -> CallbackView {
        guard ["ar", "en"].contains(language) else { throw PlatformError.badArgument("language must be ar or en.", target: "language") }
        guard !apiKey.isEmpty, apiKey.utf8.count <= 200, !apiKey.contains(where: { $0.isNewline }) else {
            throw PlatformError.badArgument("apiKey must be 1 to 200 characters on one line (it is sent as 'Authorization: ApiKey <key>').", target: "apiKey")
        }
        let target: CallbackTarget
        do {
            target = try policy.target(url)
            try await policy.checkAddresses(target)
        } catch {
            throw PlatformError(.badRequest, code: .badArgument, message: "The callback URL is refused: \(error.description)", target: "url")
        }
        let answer = await client.put(target.url("ping"), apiKey: apiKey, language: language, body: JSONWriter().bytes(try JSONValueEncoder().encode(PingBody(rin: rin))))
        let echoed = (try? JSONParser().parse(answer.body)).flatMap { $0.root["rin"]?.string }
        guard answer.status == 200, echoed == rin else {
            let what = answer.status.map { "HTTP \($0)" + (answer.excerpt.isEmpty ? "" : " with '\(answer.excerpt)'") } ?? "nothing (\(answer.failure ?? "no answer"))"
            let why = answer.status == 200 ? "it must answer 200 with {\"rin\": \"\(rin)\"}" : "it must answer 200 and echo the RIN"
            throw PlatformError(.unprocessableContent, code: .callbackPingFailed, message: "The ERP's Ping at \(target.url("ping")) answered \(what); \(why).", target: "url",
                                details: [ETAError(code: .callbackPingFailed, message: what, target: target.url("ping"))])
        }
        let record = CallbackRecord(taxpayerRIN: rin, baseURL: target.base, sealedAPIKey: try sealer.seal(apiKey), language: language, registeredAt: clock.now())
        try await store.upsertCallback(record)
        return Self.view(record, apiKey: apiKey)
    }

    public func show(rin: String) async throws -> CallbackView {
        guard let record = try await store.callback(taxpayerRIN: rin) else { throw PlatformError.notFound("A callback of taxpayer \(rin)", target: "rin") }
        return Self.view(record, apiKey: (try? sealer.open(record.sealedAPIKey)) ?? "")
    }

    /// Every registered callback.
    public func list() async throws -> [CallbackView] {
        try await store.callbacks().map { Self.view($0, apiKey: (try? sealer.open($0.sealedAPIKey)) ?? "") }
    }

    public func remove(rin: String) async throws {
        guard try await store.removeCallback(taxpayerRIN: rin, now: clock.nowMilliseconds()) else { throw PlatformError.notFound("A callback of taxpayer \(rin)", target: "rin") }
    }

    static func view(_ record: CallbackRecord, apiKey: String) -> CallbackView {
        CallbackView(rin: record.taxpayerRIN, url: record.baseURL, language: record.language, registeredAt: UTCDateTime(secondsSinceEpoch: record.registeredAt).iso8601,
                     apiKeyHint: apiKey.count > 8 ? "…" + apiKey.suffix(4) : "…")
    }
}

/// Shuts the callback client down with the platform.
struct CallbackClientService: Service {
    let client: CallbackClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
