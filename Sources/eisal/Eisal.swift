import ArgumentParser

@main
struct Eisal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eisal",
        abstract: "An open stand-in for Egypt's Tax Authority eReceipt / eInvoicing platform, and its taxpayer-side tools.",
        subcommands: [Serve.self, Admin.self, ReceiptCommand.self, Bench.self]
    )
}
