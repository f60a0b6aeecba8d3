import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct Eisal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eisal",
        abstract: "An open stand-in for Egypt's Tax Authority eReceipt / eInvoicing platform, and its taxpayer-side tools.",
        subcommands: [Serve.self, Migrate.self, Admin.self, Submit.self, Status.self, ReceiptsCommand.self, Token.self, ReceiptCommand.self, DocumentCommand.self, DocumentsCommand.self, Receiver.self, Deliveries.self, Bench.self]
    )

    static func main() async {
        tuneAllocator()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    /// glibc's allocator gives memory back to the system (and takes it again) on every swing of
    /// a busy server's heap: `mprotect`, `munmap` and consolidation showed in profiles. Keep a
    /// margin instead (the server's working set is bounded by its limits anyway).
    static func tuneAllocator() {
        #if canImport(Glibc)
        // <malloc.h>: M_TRIM_THRESHOLD -1, M_TOP_PAD -2, M_MMAP_THRESHOLD -3.
        _ = glibcMallopt(-1, 64 << 20)
        _ = glibcMallopt(-2, 16 << 20)
        _ = glibcMallopt(-3, 16 << 20)
        #endif
    }
}

#if canImport(Glibc)
/// glibc's `mallopt` (not exported by Swift's Glibc module).
@_silgen_name("mallopt")
func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
