import ContactCenter
import Hummingbird

/// Audio uploads that strategies reference by `fileDescriptor` (an extension: Infobip keeps
/// this endpoint in another product).
enum AudioRoutes {
    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let cc = s.contactCenter
        let tag = "Audio files"
        return [
            Endpoint(
                .post, "/ccaas/voice/2/audio-files", "Upload a WAV or MP3 file; returns its fileDescriptor", tag: tag,
                rawBodyType: "audio/wav",
                query: [
                    QueryParameter("name", .string(.init(minLength: 1, maxLength: 128)), "Name to show for the file.")
                ]
            ) { request, context in
                guard let name = request.uri.queryParameters.get("name") else {
                    throw APIError.badRequest("name: must not be blank")
                }
                let limit = s.configuration.maxAudioUploadBytes
                let bytes = try await s.parsing.raw(request, limit: limit)
                return JSONResponse.make(
                    try await cc.uploadAudio(
                        name: name, bytes: bytes, maximumBytes: limit, directory: s.audioDirectory,
                        by: context.actingParty))
            },
            Endpoint(
                .get, "/ccaas/voice/2/audio-files", "List uploaded audio files", tag: tag,
                query: Paging.parameters(["id", "name", "createdAt"])
            ) { request, _ in
                try await cc.audioFiles(Query(request: request).page(fields: ["id", "name", "createdAt"]))
                    .response(key: "audioFiles")
            },
            Endpoint(.get, "/ccaas/voice/2/audio-files/{fileDescriptor}", "Get an audio file's metadata", tag: tag) {
                _, context in
                JSONResponse.make(try await cc.audioFile(try context.parameter("fileDescriptor")))
            },
            Endpoint(
                .delete, "/ccaas/voice/2/audio-files/{fileDescriptor}", "Delete an audio file no configuration uses",
                tag: tag
            ) { _, context in
                try await cc.deleteAudioFile(
                    try context.parameter("fileDescriptor"), directory: s.audioDirectory, by: context.actingParty)
                return JSONResponse.success("Audio file deleted.", style: .statusMessage)
            },
        ]
    }
}
