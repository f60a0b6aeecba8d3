import EisalCore
import EisalTestSupport
import Foundation
import Testing

/// `eisal document sign|verify` and `eisal admin issue-certificate` as a user runs them, against
/// a real `eisal serve` whose sandbox signing CA issued the demo seal (issue 18).
@Suite("eisal signature commands (real processes)")
struct SignatureCLITests {
    @Test func signWithTheDemoSealVerifyOfflineSubmitAndRefuseAnotherRIN() async throws {
        let directory = try TemporaryDirectory("signature-cli")
        defer { directory.remove() }
        let database = directory.file("eisal.sqlite")
        let server = try ServerProcess(arguments: ["--database", database])
        defer { server.stop() }
        let seal = directory.file("signing/seal-100000001.pem"), key = directory.file("signing/seal-100000001-key.pem")
        #expect(FileManager.default.fileExists(atPath: seal) && FileManager.default.fileExists(atPath: directory.file("signing/ca.pem")))

        let example = directory.file("submission.json")
        try Data(try EisalBinary.run(["document", "example", "--submission", "--number", "SIG-1"]).stdout.utf8).write(to: URL(fileURLWithPath: example))
        let signed = directory.file("signed.json")
        let sign = try EisalBinary.run(["document", "sign", example, "--cert", seal, "--key", key, "--output", signed])
        #expect(sign.status == 0, "\(sign.stderr)")
        // The UUID is unchanged by signing: the signature is outside the hashed text.
        #expect(try EisalBinary.run(["document", "uuid", signed]).stdout == (try EisalBinary.run(["document", "uuid", example]).stdout))
        let verify = try EisalBinary.run(["document", "verify", signed, "--database", database])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("✓ registration number: 100000001") && verify.stdout.contains("✓ certificate chain:") && verify.stdout.hasSuffix("  valid\n"), "\(verify.stdout)")

        let credentials = try JSONNodeDecoder().decode([IssuedCredentialsView].self, from: try JSONParser().parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: directory.file("demo-credentials.json"))))).root)
        let erp = try #require(credentials.first { $0.posSerial == nil })
        let connection = ["--base", server.base, "--client-id", erp.clientID, "--client-secret", erp.clientSecret]
        let submitted = try EisalBinary.run(["documents", "submit", signed, "--wait"] + connection)
        #expect(submitted.stdout.contains("overallStatus Valid"), "\(submitted.stdout) \(submitted.stderr)")

        // A seal of another taxpayer (RSA, as ETA's tokens), used through its PKCS#12 file.
        let issued = try EisalBinary.run(["admin", "issue-certificate", "--database", database, "--rin", "300000003", "--key", "rsa"])
        #expect(issued.status == 0, "\(issued.stderr)")
        let p12 = try #require(try JSONParser().parse(Array(issued.stdout.utf8)).root["pkcs12"]?.string)
        let other = directory.file("other.json")
        #expect(try EisalBinary.run(["document", "sign", example, "--pkcs12", p12, "--output", other]).status == 0)
        let refused = try EisalBinary.run(["document", "verify", other, "--database", database])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("✗ registration number") && refused.stdout.contains("[Signature.RINMismatch]"), "\(refused.stdout)")
        // With only an unrelated anchor, the chain is untrusted.
        let untrusted = try EisalBinary.run(["document", "verify", signed, "--ca", directory.file("tls-absent.pem")])
        #expect(untrusted.status != 0)
        let rogueCA = try EisalBinary.run(["admin", "issue-certificate", "--database", directory.file("rogue/eisal.sqlite"), "--rin", "100000001"])
        let rogue = try #require(try JSONParser().parse(Array(rogueCA.stdout.utf8)).root["ca"]?.string)
        let wrongAnchor = try EisalBinary.run(["document", "verify", signed, "--ca", rogue])
        #expect(wrongAnchor.status == 1 && wrongAnchor.stdout.contains("[Signature.UntrustedChain]"), "\(wrongAnchor.stdout)")
    }
}
