import Foundation
import WAV

/// An uploaded audio file, referenced by strategies through its `fileDescriptor`.
public struct AudioFile: Persistable, Equatable {
    public static let collection = DocumentCollection.audioFile
    public var id: String { fileDescriptor }
    public var fileDescriptor: String
    public var name: String
    public var encoding: String
    public var sampleRate: Int
    public var channels: Int
    public var sizeBytes: Int
    public var durationMilliseconds: Int
    public var createdAt: Date
    public var updatedAt: Date { createdAt }
}

extension ContactCenter {
    /// Stores a WAV upload under `directory`, after checking its header.
    public func uploadAudio(name: String, bytes: [UInt8], maximumBytes: Int, directory: URL, by actor: ActingParty)
        async throws -> AudioFile
    {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may upload audio.")
        }
        guard !bytes.isEmpty else {
            throw ContactCenterError.invalid([Violation(field: "file", message: "must not be empty")])
        }
        guard bytes.count <= maximumBytes else {
            throw ContactCenterError.invalid([
                Violation(field: "file", message: "is \(bytes.count) bytes; the limit is \(maximumBytes) bytes")
            ])
        }
        let trimmedName = name.trimmingCharacters(in: .whitespaces)
        guard (1...128).contains(trimmedName.count) else {
            throw ContactCenterError.invalid([Violation(field: "name", message: "size must be between 1 and 128")])
        }
        let info: WAVFile
        do { info = try WAVFile.parse(bytes) } catch {
            throw ContactCenterError.invalid([Violation(field: "file", message: error.description)])
        }
        let descriptor = Identifiers.uuid()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(bytes).write(to: directory.appendingPathComponent("\(descriptor).wav"), options: .atomic)
        let file = AudioFile(
            fileDescriptor: descriptor, name: trimmedName, encoding: info.encoding.rawValue,
            sampleRate: info.sampleRate,
            channels: info.channels, sizeBytes: bytes.count, durationMilliseconds: info.durationMilliseconds,
            createdAt: now())
        try await store.save(file)
        return file
    }

    public func audioFile(_ descriptor: String) async throws -> AudioFile {
        guard let file = try await store.load(AudioFile.self, id: descriptor) else {
            throw ContactCenterError.notFound(resource: "audio file", id: descriptor)
        }
        return file
    }

    public func audioFiles(_ page: PageRequest) async throws -> Page<AudioFile> {
        let (items, total) = try await store.list(AudioFile.self, pageQuery(.audioFile, [], page))
        return Page(items: items, total: total, request: page)
    }

    /// Deletes an audio file no configuration references.
    public func deleteAudioFile(_ descriptor: String, directory: URL, by actor: ActingParty) async throws {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may delete audio.")
        }
        _ = try await audioFile(descriptor)
        for collection in [DocumentCollection.waitingStrategy, .holdConfig, .accountSetting, .awayAudioMessage] {
            for setting in try await store.settings(DocumentQuery(collection: collection)).items
            where setting.value.strings(forKey: "fileDescriptor").contains(descriptor) {
                throw ContactCenterError.conflict(
                    "Audio file \(descriptor) is used by \(collection.rawValue) \(setting.id).")
            }
        }
        try await store.delete(.audioFile, id: descriptor)
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("\(descriptor).wav"))
    }

    /// Violations for every source in `body` that could not be played: a `fileDescriptor` that
    /// names no uploaded file, a `ttsAudioSource` in a language no installed voice speaks.
    func unplayableSources(in body: JSONValue) async throws -> [Violation] {
        var violations: [Violation] = []
        for descriptor in body.strings(forKey: "fileDescriptor")
        where try await store.get(.audioFile, id: descriptor) == nil {
            violations.append(Violation(field: "fileDescriptor", message: "no uploaded audio file '\(descriptor)'"))
        }
        if let speechLanguages {
            for language in Set(body.strings(forKey: "language")).sorted()
            where !Self.speaks(language, speechLanguages) {
                violations.append(
                    Violation(
                        field: "ttsAudioSource.language",
                        message: "'\(language)' is not a language this gateway speaks; known: "
                            + speechLanguages.sorted().prefix(40).joined(separator: ", ")))
            }
        }
        return violations
    }

    /// Whether `language` (or its base language) has a voice.
    static func speaks(_ language: String, _ known: Set<String>) -> Bool {
        let wanted = language.lowercased().replacingOccurrences(of: "_", with: "-")
        return known.contains(wanted) || known.contains(String(wanted.prefix { $0 != "-" }))
    }
}
