// `eisal admin callback set|show|list|remove`, `eisal deliveries list|show|replay` (an operator
// at the database file) and `eisal receiver` (the SDK's callback receiver as a process, printing
// one JSON line per notification).

import ArgumentParser
import EisalCore
import EisalKitReceiver
import EisalPlatform
import Foundation
import Hummingbird
import Logging

/// Prints `value` as indented JSON.
func printJSON(_ value: some Encodable) throws {
    print(JSONWriter(indent: 2).string(try JSONValueEncoder().encode(value)))
}

/// Options for commands that use callbacks.
struct CallbackOptions: ParsableArguments {
    @OptionGroup var database: DatabaseOptions
    @Option(help: "sandbox or production: which callback URLs are allowed (as `eisal serve --mode`).") var mode = "sandbox"
    @Option(help: "A PEM file of extra CA certificates trusted for callbacks.") var callbackCa: String?

    func settings() throws -> NotificationSettings {
        var settings = NotificationSettings()
        guard let parsed = NotificationSettings.Mode(rawValue: mode) else { throw ValidationError("--mode must be sandbox or production.") }
        settings.mode = parsed
        settings.extraTrustRoots = callbackCa
        settings.sealingKey = ProcessInfo.processInfo.environment["EISAL_NOTIFY_KEY"]
        return settings
    }

    /// Runs `body` with an admin on the database (SQLite file or PostgreSQL), shut down afterwards.
    func with<T: Sendable>(_ body: (NotificationAdmin) async throws -> T) async throws -> T {
        let configuration = try database.store()
        let settings = try settings()
        return try await withStore(configuration) { store in
            let admin = try NotificationAdmin(store: store, dataDirectory: configuration.dataDirectory, settings: settings)
            do {
                let result = try await body(admin)
                try await admin.shutdown()
                return result
            } catch {
                try? await admin.shutdown()
                throw error
            }
        }
    }
}

extension Admin {
    /// `eisal admin callback …`
    struct Callback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register, show and remove taxpayers' notification callbacks.",
            subcommands: [Set.self, Show.self, List.self, Remove.self]
        )

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Ping the ERP at --url and, if it answers with the RIN, register it as the taxpayer's callback.")
            @OptionGroup var options: CallbackOptions
            @Option(help: "The taxpayer's RIN.") var rin: String
            @Option(help: "The base URL of the ERP's callbacks ({url}/ping, {url}/notifications/receipts, …).") var url: String
            @Option(help: "The pre-shared key sent as 'Authorization: ApiKey <key>'.") var apiKey: String
            @Option(help: "ar or en.") var language = "en"

            func run() async throws {
                try printJSON(try await options.with { try await $0.register(rin: rin, url: url, apiKey: apiKey, language: language) })
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show a taxpayer's callback (never its key).")
            @OptionGroup var options: CallbackOptions
            @Option(help: "The taxpayer's RIN.") var rin: String

            func run() async throws { try printJSON(try await options.with { try await $0.show(rin: rin) }) }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List every registered callback.")
            @OptionGroup var options: CallbackOptions

            func run() async throws { try printJSON(try await options.with { try await $0.list() }) }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove a taxpayer's callback (its pending notifications are failed).")
            @OptionGroup var options: CallbackOptions
            @Option(help: "The taxpayer's RIN.") var rin: String

            func run() async throws { try await options.with { try await $0.remove(rin: rin) } }
        }
    }
}

/// `eisal deliveries …`
struct Deliveries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The notification delivery log: list deliveries, show one with every attempt, send one again.",
        subcommands: [List.self, Show.self, Replay.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliveries, newest first.")
        @OptionGroup var options: CallbackOptions
        @Option(help: "Only this recipient's.") var rin: String?
        @Option(help: "Open, Delivered or Failed.") var status: String?
        @Option var pageNo = 1
        @Option var pageSize = 50

        func run() async throws {
            let page = try await options.with { try await $0.deliveries(rin: rin, status: status, pageNo: pageNo, pageSize: pageSize) }
            for d in page.result {
                print("\(d.deliveryId)  \(d.status.padding(toLength: 9, withPad: " ", startingAt: 0))  rin=\(d.rin)  \(d.path)  count=\(d.count)  created=\(d.createdDateTime)"
                    + (d.nextAttemptDateTime.map { "  next=\($0)" } ?? "") + (d.deliveredDateTime.map { "  delivered=\($0)" } ?? ""))
            }
            print("\(page.metadata.totalCount) deliveries, page \(pageNo) of \(max(page.metadata.totalPages, 1))")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A delivery with its attempts (time, HTTP status, latency, error) and body.")
        @OptionGroup var options: CallbackOptions
        @Argument(help: "The deliveryId.") var id: String

        func run() async throws { try printJSON(try await options.with { try await $0.delivery(id: id) }) }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a delivered or failed delivery again, with the same deliveryId and body.")
        @OptionGroup var options: CallbackOptions
        @Argument(help: "The deliveryId.") var id: String

        func run() async throws {
            try await options.with { try await $0.replay(id: id) }
            print("delivery \(id) is due again; a running platform sends it within a moment")
        }
    }
}

/// `eisal receiver`: the callback receiver of EisalKit as a process.
struct Receiver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Receive the platform's notifications like an ERP: answer Ping, deduplicate deliveries, print one JSON line per notification.",
        discussion: "Register it with: eisal admin callback set --rin R --url http://127.0.0.1:PORT --api-key K (or PUT /eisal/callback with an ERP token)."
    )

    @Option(help: "The pre-shared key the platform must send (Authorization: ApiKey <key>).") var apiKey: String
    @Option(help: "A taxpayer RIN this ERP receives for; repeat for more.") var rin: [String]
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one.") var port = 8090
    @Option(help: "The inbox (SQLite) that deduplicates deliveries across restarts.") var inbox = "./eisal-receiver/inbox.sqlite"
    @Option(help: "Log level of the receiver's own messages (on standard error).") var logLevel = "info"

    func run() async throws {
        guard !rin.isEmpty else { throw ValidationError("Give at least one --rin.") }
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical.") }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "eisal.receiver")
        logger.logLevel = level
        let receiver = CallbackReceiver(configuration: .init(apiKey: apiKey, rins: Swift.Set(rin)), inbox: try SQLiteNotificationInbox(path: inbox), logger: logger) { n in
            say(Receiver.line(n))
        }
        let router = Router()
        receiver.register(on: router)
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "eisal-receiver"),
                              onServerRunning: { channel in say("eisal receiver: listening on http://\(host):\(channel.localAddress?.port ?? port) for RIN \(rin.joined(separator: ", "))") },
                              logger: logger)
        try await app.runService()
    }

    /// `{"deliveryId", "channel", "index", "message": <as received>}` on one line.
    static func line(_ n: ReceivedNotification) -> String {
        var out = Array(#"{"deliveryId":""#.utf8)
        JSONEscapes.appendMinimallyEscaped(n.deliveryId.utf8, to: &out)
        out += Array(#"","channel":"\#(n.channel.rawValue)","index":\#(n.index),"count":\#(n.declaredCount.map(String.init) ?? "null"),"message":"#.utf8)
        out += Array(n.json.utf8)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
