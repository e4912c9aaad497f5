import Foundation

/// A configuration record kept as validated JSON (account settings, waiting strategies, hold
/// configurations, per-agent configurations).
public struct SettingDocument: Codable, Sendable, Equatable {
    public var id: String
    public var value: JSONValue
    public var createdAt: Date
    public var updatedAt: Date
    public init(id: String, value: JSONValue, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.value = value
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Names of the account-wide singleton settings.
public enum AccountSetting: String, Sendable, CaseIterable {
    case wrapUp, callTimeouts, recording, externalNumberTransfer, transferStrategy
}

extension ContactCenterStore {
    public func setting(_ collection: DocumentCollection, id: String) async throws -> SettingDocument? {
        guard let document = try await get(collection, id: id) else { return nil }
        return try InfobipDate.decoder().decode(SettingDocument.self, from: document.body)
    }

    public func saveSetting(_ collection: DocumentCollection, _ setting: SettingDocument) async throws {
        try await put(
            StoredDocument(
                collection: collection, id: setting.id, createdAt: setting.createdAt, updatedAt: setting.updatedAt,
                body: try InfobipDate.encoder().encode(setting)))
    }

    public func settings(_ query: DocumentQuery) async throws -> (items: [SettingDocument], total: Int) {
        let (documents, total) = try await self.query(query)
        let decoder = InfobipDate.decoder()
        return (try documents.map { try decoder.decode(SettingDocument.self, from: $0.body) }, total)
    }
}
