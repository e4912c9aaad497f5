import Foundation
import MP3
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
    /// The file extensions an upload is stored under, by what it is.
    public static let audioFileExtensions = ["wav", "mp3"]

    /// Stores a WAV or MP3 upload under `directory`, after reading it (a WAV's header, an MP3
    /// decoded whole, so that a corrupt file is refused now rather than at call time).
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
        let (encoding, sampleRate, channels, duration, fileExtension): (String, Int, Int, Int, String)
        do {
            if MP3Audio.looksLikeMP3(bytes) {
                let mp3 = try MP3Audio.decode(bytes)
                (encoding, sampleRate, channels, duration) = (
                    "MP3", mp3.sampleRate, mp3.channels, mp3.durationMilliseconds
                )
                fileExtension = "mp3"
            } else {
                let wav = try WAVFile.parse(bytes)
                (encoding, sampleRate, channels, duration) = (
                    wav.encoding.rawValue, wav.sampleRate, wav.channels, wav.durationMilliseconds
                )
                fileExtension = "wav"
            }
        } catch let error as MP3Error {
            throw ContactCenterError.invalid([Violation(field: "file", message: error.description)])
        } catch let error as WAVError {
            let message = error == .notWAV ? "not a WAV or MP3 file" : error.description
            throw ContactCenterError.invalid([Violation(field: "file", message: message)])
        }
        let descriptor = Identifiers.uuid()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(bytes).write(to: directory.appendingPathComponent("\(descriptor).\(fileExtension)"), options: .atomic)
        let file = AudioFile(
            fileDescriptor: descriptor, name: trimmedName, encoding: encoding, sampleRate: sampleRate,
            channels: channels, sizeBytes: bytes.count, durationMilliseconds: duration, createdAt: now())
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
        for fileExtension in Self.audioFileExtensions {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent("\(descriptor).\(fileExtension)"))
        }
    }

    /// Violations for every source in `body` that could not be played: a `fileDescriptor` that
    /// names no uploaded file, a `ttsAudioSource` in a language no installed voice speaks.
    func unplayableSources(in body: JSONValue) async throws -> [Violation] {
        var violations: [Violation] = []
        for descriptor in body.strings(forKey: "fileDescriptor")
        where try await store.get(.audioFile, id: descriptor) == nil {
            violations.append(Violation(field: "fileDescriptor", message: "no uploaded audio file '\(descriptor)'"))
        }
        if let speech {
            for language in Set(body.strings(forKey: "language")).sorted() where !speech.speaks(language) {
                violations.append(
                    Violation(
                        field: "ttsAudioSource.language",
                        message: "'\(language)' is not a language this gateway speaks; known: "
                            + speech.known.sorted().prefix(40).joined(separator: ", ")))
            }
        }
        return violations
    }
}

/// The languages the text-to-speech voices speak, and the engine's own rule for whether a
/// requested language has a voice (it owns the fallback to a base language).
public struct SpeechLanguages: Sendable {
    public let known: Set<String>
    public let speaks: @Sendable (String) -> Bool

    public init(known: Set<String>, speaks: @escaping @Sendable (String) -> Bool) {
        self.known = known
        self.speaks = speaks
    }
}
