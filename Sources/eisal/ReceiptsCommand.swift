import ArgumentParser
import EisalCore
import EisalKit
import Foundation

/// `eisal status SUBMISSION`: a receipt submission's status and receipts.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a receipt submission's status and each receipt's (every page); exit 1 when any receipt is Invalid.")
    @OptionGroup var connection: ClientOptions
    @Argument(help: "The submission's UUID.") var submission: String
    @Flag(help: "Print the JSON as the API answers it (all pages joined).") var json = false

    func run() async throws {
        var invalid = false
        try await connection.with { client in
            let details = try await client.receiptSubmissionAllPages(submission)
            if json {
                print(JSONWriter(indent: 2).string(try JSONValueEncoder().encode(details)))
            } else {
                print("submission \(details.submissionUuid): \(details.status), \(details.receiptsCount) receipts (\(details.invalidReceiptsCount) invalid), received \(details.dateTimeReceived)")
                for r in details.receipts {
                    print("\(r.uuid)  \(r.receiptNumber)  \(r.status)" + (r.errors ?? []).map { "  [\(Summary.key($0))]" }.joined())
                }
            }
            invalid = details.invalidReceiptsCount > 0
        }
        if invalid { throw ExitCode(1) }
    }
}

/// `eisal receipts get|search|recent`.
struct ReceiptsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "receipts", abstract: "Read receipts through the API (EisalKit).", subcommands: [Get.self, Search.self, Recent.self])

    static func print(_ page: ReceiptPage, json: Bool) throws {
        if json { Swift.print(JSONWriter(indent: 2).string(try JSONValueEncoder().encode(page))); return }
        Swift.print("\(page.metadata.totalCount) receipts (page \(page.metadata.currentPageNo) of \(page.metadata.totalPages))")
        for r in page.receipts { Swift.print("\(r.uuid)  \(r.receiptNumber)  \(r.dateTimeIssued)  \(r.status)  total \(r.totalAmount.lexeme)") }
    }

    /// `NAME=VALUE` pairs of the contract's query parameters.
    static func parameters(_ pairs: [String]) throws -> [(String, String)] {
        try pairs.map { pair in
            guard let eq = pair.firstIndex(of: "=") else { throw ValidationError("--param takes NAME=VALUE, not \(pair)") }
            return (String(pair[..<eq]), String(pair[pair.index(after: eq)...]))
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Get Receipt (raw): the receipt as submitted with the platform's fields.")
        @OptionGroup var connection: ClientOptions
        @Argument(help: "The receipt's UUID.") var uuid: String

        func run() async throws {
            var found = true
            try await connection.with { client in
                guard let raw = try await client.receiptRaw(uuid) else { found = false; return }
                Swift.print(JSONWriter(indent: 2).string(raw.root.value))
            }
            if !found {
                FileHandle.standardError.write(Data("error: receipt \(uuid) not found\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search Receipts between two issue dates (more filters with --param, e.g. --param Status=Valid).")
        @OptionGroup var connection: ClientOptions
        @Option(help: "DateTimeIssuedFrom (UTC), e.g. 2026-11-30T00:00:00Z.") var from: String
        @Option(help: "DateTimeIssuedTo (UTC).") var to: String
        @Option(help: "A further query parameter NAME=VALUE (repeatable).") var param: [String] = []
        @Flag(help: "Print the JSON page.") var json = false

        func run() async throws {
            let query = [("DateTimeIssuedFrom", from), ("DateTimeIssuedTo", to)] + (try ReceiptsCommand.parameters(param))
            try await connection.with { client in try ReceiptsCommand.print(try await client.searchReceipts(query), json: json) }
        }
    }

    struct Recent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Get Recent Receipts (filters with --param, e.g. --param PageSize=50).")
        @OptionGroup var connection: ClientOptions
        @Option(help: "A query parameter NAME=VALUE (repeatable).") var param: [String] = []
        @Flag(help: "Print the JSON page.") var json = false

        func run() async throws {
            let query = try ReceiptsCommand.parameters(param)
            try await connection.with { client in try ReceiptsCommand.print(try await client.recentReceipts(query), json: json) }
        }
    }
}

/// `eisal token`: the access token the SDK holds (cached between runs; a new one only near expiry).
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print an access token: the cached one while it has over a minute left, else a new one (logins are counted by ETA: do not ask per call).")
    @OptionGroup var connection: ClientOptions

    func run() async throws {
        try await connection.with { client in print(try await client.accessToken()) }
    }
}
