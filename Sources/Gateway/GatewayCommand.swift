import ArgumentParser
import ContactCenter
import Foundation
import GatewayServer
import Logging

@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Contact-center call gateway: REST control plane, WebSocket signaling, media.",
        subcommands: [Serve.self, APIKey.self, OpenAPI.self],
        defaultSubcommand: Serve.self)
}

struct ConfigOption: ParsableArguments {
    @Option(
        name: .long, help: "JSON configuration file (see docs/configuration.md). Environment GATEWAY_* overrides it.")
    var config: String?

    func load() throws -> GatewayConfiguration {
        do {
            return try GatewayConfiguration.load(file: config ?? ProcessInfo.processInfo.environment["GATEWAY_CONFIG"])
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("gateway: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway until SIGTERM or SIGINT.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let configuration = try options.load()
        let level = configuration.logLevel
        let json = configuration.logFormat == "json"
        LoggingSystem.bootstrap { label in
            if json { return JSONLogHandler(label: label, level: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "gateway")
        do {
            try await GatewayServer.run(configuration, logger: logger)
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("gateway: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}

struct OpenAPI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi", abstract: "Print the OpenAPI document of the REST API (as served at /openapi.json).")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        FileHandle.standardOutput.write(Data(try await GatewayServer.openAPIDocument(try options.load()).utf8))
    }
}

struct APIKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-key", abstract: "Create, list and revoke REST API keys.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; its secret is printed once.")
        @OptionGroup var options: ConfigOption
        @Option(help: "A name to recognise the key by.") var name: String

        func run() async throws {
            try await withKeys(options) { keys in
                let (record, secret) = try await keys.create(name: name)
                print(
                    "id:     \(record.id)\nname:   \(record.name)\nsecret: \(secret)\nUse it as: Authorization: App \(secret)"
                )
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            try await withKeys(options) { keys in
                for key in try await keys.list() {
                    let state = key.revokedAt.map { "revoked \(InfobipDate.format($0))" } ?? "active"
                    print("\(key.id)  \(key.name)  created \(InfobipDate.format(key.createdAt))  \(state)")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by id.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The key's id (from `gateway api-key list`).") var id: String

        func run() async throws {
            try await withKeys(options) { keys in
                guard try await keys.revoke(id: id) else {
                    FileHandle.standardError.write(Data("gateway: no active API key with id \(id)\n".utf8))
                    throw ExitCode(1)
                }
                print("revoked \(id)")
            }
        }
    }
}

func withKeys(_ options: ConfigOption, _ body: (APIKeys) async throws -> Void) async throws {
    let configuration = try options.load()
    let store = try GatewayServer.openStore(configuration)
    do {
        try await body(APIKeys(store: store))
    } catch let error as ContactCenterError {
        try await store.close()
        FileHandle.standardError.write(Data("gateway: \(error.message)\n".utf8))
        throw ExitCode(1)
    } catch {
        try await store.close()
        throw error
    }
    try await store.close()
}
