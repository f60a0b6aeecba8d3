import EisalCore
import Foundation
import Testing

/// Runs the `eisal` executable built next to the test bundle.
enum EisalBinary {
    static var url: URL {
        let candidates = [
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
        ]
        for dir in candidates {
            let candidate = dir.appendingPathComponent("eisal")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return candidates[0].appendingPathComponent("eisal")
    }

    /// Runs `eisal arguments…` with `input` on standard input; returns exit status and output.
    static func run(_ arguments: [String], input: Data = Data()) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}

@Suite("eisal receipt CLI")
struct CLITests {
    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: EisalBinary.url.path), "no eisal at \(EisalBinary.url.path)")
    }

    @Test(arguments: ["sale", "return", "return-without-reference"])
    func examplePipesIntoUUIDAndValidate(_ type: String) throws {
        let example = try EisalBinary.run(["receipt", "example", "--type", type])
        #expect(example.status == 0, "\(example.stderr)")
        let json = Data(example.stdout.utf8)
        let claimed = try JSONParser().parse([UInt8](json)).root["header"]?["uuid"]?.string
        let uuid = try EisalBinary.run(["receipt", "uuid", "-"], input: json)
        #expect(uuid.status == 0)
        #expect(uuid.stdout == (claimed ?? "?") + "\n")
        let validate = try EisalBinary.run(["receipt", "validate", "-"], input: json)
        #expect(validate.status == 0, "\(validate.stdout)")
        #expect(validate.stdout == "valid\n")
    }

    @Test func changesChangeTheUUIDAndFailValidation() throws {
        let example = try EisalBinary.run(["receipt", "example"]).stdout
        let original = try EisalBinary.run(["receipt", "uuid", "-"], input: Data(example.utf8)).stdout
        let lexeme = example.replacingOccurrences(of: "\"unitPrice\": 10.5,", with: "\"unitPrice\": 10.50,")
        #expect(lexeme != example)
        let lexemeUUID = try EisalBinary.run(["receipt", "uuid", "-"], input: Data(lexeme.utf8)).stdout
        #expect(lexemeUUID != original)
        let validate = try EisalBinary.run(["receipt", "validate", "-"], input: Data(lexeme.utf8))
        #expect(validate.status == 1)
        #expect(validate.stdout.contains("header.uuid:"))
        let reordered = example.replacingOccurrences(of: "\"currency\": \"EGP\",\n    \"exchangeRate\": 0", with: "\"exchangeRate\": 0,\n    \"currency\": \"EGP\"")
        #expect(reordered != example)
        #expect(try EisalBinary.run(["receipt", "uuid", "-"], input: Data(reordered.utf8)).stdout != original)
    }

    @Test func validatePrintsEachErrorWithItsPathAndExitsNonZero() throws {
        let example = try EisalBinary.run(["receipt", "example"]).stdout
        let broken = example.replacingOccurrences(of: "\"paymentMethod\": \"C\"", with: "\"paymentMethod\": \"Cash\"")
        let result = try EisalBinary.run(["receipt", "validate", "-"], input: Data(broken.utf8))
        #expect(result.status == 1)
        #expect(result.stdout.contains("paymentMethod: Payment method 'Cash' is not known"))
        #expect(result.stdout.contains("[Code.PaymentMethod]"))
    }

    @Test func badJSONIsAClearErrorNotACrash() throws {
        let result = try EisalBinary.run(["receipt", "uuid", "-"], input: Data("{\"header\": ".utf8))
        #expect(result.status != 0)
        #expect(result.stderr.contains("not valid JSON"))
    }
}
