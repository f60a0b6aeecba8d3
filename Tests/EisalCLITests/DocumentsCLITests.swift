import EisalCore
import EisalTestSupport
import Foundation
import Testing

/// `eisal document …` (offline) and `eisal documents …` (through EisalKit) against a real
/// `eisal serve` process (issue 17, item 5).
@Suite("eisal documents CLI (real processes)")
struct DocumentsCLITests {
    @Test func exampleSubmitStatusGetSearchCancelAndDecline() async throws {
        let directory = try TemporaryDirectory("documents-cli")
        defer { directory.remove() }
        let server = try ServerProcess(arguments: ["--database", directory.file("eisal.sqlite")])
        defer { server.stop() }
        let credentials = try JSONNodeDecoder().decode([IssuedCredentialsView].self, from: try JSONParser().parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: directory.file("demo-credentials.json"))))).root)
        let erp = try #require(credentials.first { $0.posSerial == nil })
        let connection = ["--base", server.base, "--client-id", erp.clientID, "--client-secret", erp.clientSecret]

        // A valid example (version 0.9, which needs no signature; signed documents: SignatureCLITests), offline checks, then submitted.
        let example = try EisalBinary.run(["document", "example", "--version", "0.9", "--submission", "--number", "CLI-1"])
        #expect(example.status == 0)
        let file = directory.file("submission.json")
        try Data(example.stdout.utf8).write(to: URL(fileURLWithPath: file))
        let validate = try EisalBinary.run(["document", "validate", file])
        #expect(validate.status == 0 && validate.stdout.hasPrefix("documents[0]: valid "))
        let uuid = try EisalBinary.run(["document", "uuid", file]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(uuid.count == 64)

        // A digest computed with sorted keys is explained.
        let single = directory.file("document.json")
        try Data(try EisalBinary.run(["document", "example", "--version", "0.9"]).stdout.utf8).write(to: URL(fileURLWithPath: single))
        let right = try EisalBinary.run(["document", "uuid", single]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try EisalBinary.run(["document", "explain", single, "--digest", right]).status == 0)
        let wrong = try EisalBinary.run(["document", "explain", single, "--digest", String(repeating: "ab", count: 32)])
        #expect(wrong.status == 1)

        let submitted = try EisalBinary.run(["documents", "submit", file, "--wait"] + connection)
        #expect(submitted.status == 0, "\(submitted.stderr)")
        #expect(submitted.stdout.contains("accepted CLI-1 \(uuid)") && submitted.stdout.contains("overallStatus Valid"), "\(submitted.stdout)")
        let id = try #require(submitted.stdout.split(separator: "\n").first?.split(separator: " ").dropFirst().first.map { String($0.dropLast()) })
        #expect(try EisalBinary.run(["documents", "status", id] + connection).stdout.contains("\(uuid)  CLI-1  i  Valid"))
        #expect(try EisalBinary.run(["documents", "get", uuid, "--details"] + connection).stdout.contains(#""validationSteps""#))
        let now = Int64(Date().timeIntervalSince1970)
        let search = try EisalBinary.run(["documents", "search", "--from", UTCDateTime(secondsSinceEpoch: now - 3600).iso8601, "--to", UTCDateTime(secondsSinceEpoch: now + 3600).iso8601] + connection)
        #expect(search.stdout.contains("1 documents"), "\(search.stdout) \(search.stderr)")

        // Cancel, then a second cancel: the contract's error, exit 1.
        #expect(try EisalBinary.run(["documents", "cancel", uuid, "--reason", "Wrong buyer details"] + connection).status == 0)
        let again = try EisalBinary.run(["documents", "cancel", uuid, "--reason", "again"] + connection)
        #expect(again.status == 1 && again.stderr.contains("HTTP 400") && again.stderr.contains("CancellationAlreadyRequested"), "\(again.stderr)")
        // Wrong credentials: the login's OAuth error.
        let refused = try EisalBinary.run(["documents", "status", id, "--base", server.base, "--client-id", erp.clientID, "--client-secret", "wrong"])
        #expect(refused.status == 1 && refused.stderr.contains("login refused"), "\(refused.stderr)")
    }
}
