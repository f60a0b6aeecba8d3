import EisalCore
import Foundation
import Testing

@Suite("Docs match the code")
struct DocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func validationRulesPageIsGeneratedFromTheCode() throws {
        let page = try String(contentsOf: Self.root.appendingPathComponent("docs/validation-rules.md"), encoding: .utf8)
        #expect(page == ValidationRule.catalogueMarkdown, "regenerate with: swift run eisal receipt rules > docs/validation-rules.md")
    }

    @Test func documentRulesPageIsGeneratedFromTheCode() throws {
        let page = try String(contentsOf: Self.root.appendingPathComponent("docs/document-rules.md"), encoding: .utf8)
        #expect(page == ValidationRule.Invoice.catalogueMarkdown, "regenerate with: swift run eisal document rules > docs/document-rules.md")
    }

    @Test func whyWasMyReceiptRejectedPageIsGeneratedFromTheCode() throws {
        let page = try String(contentsOf: Self.root.appendingPathComponent("docs/why-was-my-receipt-rejected.md"), encoding: .utf8)
        #expect(page == UUIDMistake.catalogueMarkdown, "regenerate with: swift run eisal receipt mistakes > docs/why-was-my-receipt-rejected.md")
    }
}
