import Calls
import ContactCenter
import Foundation
import HTTPRange
import Hummingbird
import Media
import NIOPosix

/// Recorded calls: Infobip's metadata list and download (with ranges), deletion through the
/// Calls API paths, and pausing a call's recording (an extension). See docs/api.md.
enum RecordingRoutes {
    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let tag = "Recording"
        let metadataQuery =
            ContactCenter.recordingTextFilters.map { QueryParameter($0, .string(), "Only files whose \($0) is this.") }
            + [
                QueryParameter("durationFrom", .integer(minimum: 0), "Duration at least (seconds)."),
                QueryParameter("durationTo", .integer(minimum: 0), "Duration at most (seconds)."),
                QueryParameter("startedAtFrom", .integer(minimum: 0), "Started at or after (epoch ms)."),
                QueryParameter("startedAtTo", .integer(minimum: 0), "Started at or before (epoch ms)."),
                QueryParameter("deletedAtFrom", .integer(minimum: 0), "Deleted at or after (epoch ms)."),
                QueryParameter("deletedAtTo", .integer(minimum: 0), "Deleted at or before (epoch ms)."),
                QueryParameter("page", .integer(minimum: 0), "Page number, from 0."),
                QueryParameter("size", .integer(minimum: 1, maximum: 999), "Page size (default 20)."),
                QueryParameter("sortBy", .string(), "Field to sort by (default startedAt)."),
                QueryParameter("sortDirection", .string(.init(allowed: ["ASC", "DESC"])), "Default DESC."),
            ]
        return [
            Endpoint(
                .get, "/ccaas/voice/2/recording/metadata", "List recorded files", tag: tag, query: metadataQuery,
                returns: "`{elements, total, totalPages}`; 400 naming a bad parameter"
            ) { request, context in
                var parameters: [String: String] = [:]
                for (name, value) in request.uri.queryParameters where parameters[String(name)] == nil {
                    parameters[String(name)] = String(value)
                }
                return JSONResponse.make(
                    try await s.contactCenter.recordingMetadata(parameters, by: context.actingParty))
            },
            Endpoint(
                .get, "/ccaas/voice/2/recording/download/{recordingId}",
                "Download a recorded file (WAV, or WebM for a participant recorded with video); a `Range: bytes=…`"
                    + " header with one range is served as 206", tag: tag,
                access: .apiKeyOrSignedLink,
                query: [
                    QueryParameter("expires", .integer(minimum: 0), "Signed link (without an API key): its expiry."),
                    QueryParameter("signature", .string(), "Signed link: its signature."),
                ],
                returns:
                    "200 or 206 `audio/wav` (`video/webm`); 400 `Invalid range header format`; 401 no key and no valid signed"
                    + " link; 404 `Recording file <id> not found!`; 416 past the end"
            ) { request, context in
                let recordingId = try context.parameter("recordingId")
                var actor = context.actingParty
                if context.apiKeyId == nil {
                    let query = request.uri.queryParameters
                    guard let expires = query.get("expires").flatMap({ Int64($0) }),
                        let signature = query.get("signature"),
                        s.tokens.verifyLink(
                            "recording/\(recordingId)", expires: expires, signature: signature,
                            now: Int64(s.clock.now().timeIntervalSince1970))
                    else { throw APIError.unauthorized }
                    actor = .integration
                }
                let file = try await s.contactCenter.downloadableRecording(recordingId, by: actor)
                try await render(file, s)
                return try await download(file, request: request, context: context, directory: s.recordingsDirectory)
            },
            Endpoint(
                .delete, "/calls/1/recordings/files/{fileId}", "Delete a recorded file (its metadata stays)", tag: tag,
                returns:
                    "200 the file's metadata with `deletedAt` and `deletedBy`; 404 `Recording file <id> not found!`"
            ) { _, context in
                let files = try await s.contactCenter.deleteRecordings(
                    fileId: try context.parameter("fileId"), directory: s.recordingsDirectory, by: context.actingParty)
                return JSONResponse.make(files[0].json)
            },
            Endpoint(
                .delete, "/calls/1/recordings/calls/{callId}", "Delete every recorded file of a call", tag: tag,
                returns: "200 `{callId, files}`; 404 when the call has no file left"
            ) { _, context in
                let callId = try context.parameter("callId")
                let files = try await s.contactCenter.deleteRecordings(
                    callId: callId, directory: s.recordingsDirectory, by: context.actingParty)
                return JSONResponse.make(
                    JSONValue.object(["callId": .string(callId), "files": .array(files.map(\.json))]))
            },
            pauseEndpoint(s, paused: true),
            pauseEndpoint(s, paused: false),
        ]
    }

    static func pauseEndpoint(_ s: GatewayServices, paused: Bool) -> Endpoint {
        let action = paused ? "pause" : "resume"
        return Endpoint(
            .patch, "/ccaas/voice/2/conversation/{conversationId}/recording/\(action)",
            paused
                ? "Pause the recording of the conversation's call: the span is silence, listed in `pausedSpans`"
                    + " (extension)"
                : "Resume the recording of the conversation's call (extension)", tag: "Recording",
            returns:
                "200 `Recording \(paused ? "paused" : "resumed").`; 403 an agent other than the call's, 409 the call"
                + " is not recorded, 412 no call"
        ) { _, context in
            _ = try await s.calls.setRecordingPaused(
                paused, conversationId: try context.parameter("conversationId"), by: context.actingParty)
            return JSONResponse.success("Recording \(paused ? "paused" : "resumed").", style: .statusMessage)
        }
    }

    /// A link to download the file for `seconds`, with no API key (for a supervisor's page).
    static func signedLink(_ s: GatewayServices, _ recordingId: String, seconds: Int64 = 900) -> String {
        let expires = Int64(s.clock.now().timeIntervalSince1970) + seconds
        let signature = s.tokens.signLink("recording/\(recordingId)", expires: expires)
        return "/ccaas/voice/2/recording/download/\(recordingId)?expires=\(expires)&signature=\(signature)"
    }

    /// Makes the file's WAV from its packet logs if it was not downloaded before (on a thread of
    /// the pool: decoding a long call takes a moment, and blocks).
    static func render(_ file: RecordingFile, _ s: GatewayServices) async throws {
        let directory = s.recordingsDirectory
        let wav = directory.appendingPathComponent(file.filename).path
        guard file.recordingStatus == .SUCCESSFUL, !FileManager.default.fileExists(atPath: wav) else { return }
        let tracks = file.composed ? try await s.contactCenter.recordingTracks(of: file) : [file]
        guard !tracks.isEmpty else { throw ContactCenterError.absent("Recording file \(file.id) not found!") }
        let paths = tracks.map {
            (
                log: directory.appendingPathComponent($0.packetLogName).path,
                wav: directory.appendingPathComponent($0.filename).path
            )
        }
        do {
            try await NIOThreadPool.singleton.runIfActive {
                if file.composed {
                    try RecordingRenderer.renderComposed(left: paths[0], right: paths[1], into: wav)
                } else if file.isVideo {
                    try VideoRecordingRenderer.render(log: paths[0].log, into: wav)
                } else {
                    try RecordingRenderer.renderTrack(log: paths[0].log, into: wav)
                }
            }
            if file.isVideo, let size = try? FileManager.default.attributesOfItem(atPath: wav)[.size] as? Int {
                var made = file
                made.size = Int64(size)
                try? await s.contactCenter.store.save(made)
            }
        } catch {
            s.logger.error("recording not rendered", metadata: ["recordingId": "\(file.id)", "error": "\(error)"])
            throw ContactCenterError.absent("Recording file \(file.id) not found!")
        }
    }

    /// The file, whole or the range asked for.
    static func download(
        _ file: RecordingFile, request: Request, context: GatewayRequestContext, directory: URL
    ) async throws -> Response {
        let path = directory.appendingPathComponent(file.filename).path
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil else {
            throw ContactCenterError.absent("Recording file \(file.id) not found!")
        }
        var headers: HTTPFields = [
            .contentType: file.isVideo ? "video/webm" : "audio/wav", .acceptRanges: "bytes",
            .contentDisposition: "attachment; filename=\"\(file.filename)\"",
        ]
        let io = FileIO()
        switch ByteRange.parse(request.headers[.range], size: size) {
        case .invalid:
            throw ContactCenterError.badRequest("Invalid range header format")
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(size)"
            return APIError(.rangeNotSatisfiable, "REQUESTED_RANGE_NOT_SATISFIABLE", "Requested range not satisfiable")
                .response(style: .statusMessage, headers: headers)
        case .whole:
            headers[.contentLength] = String(size)
            let body = size == 0 ? ResponseBody() : try await io.loadFile(path: path, context: context)
            return Response(status: .ok, headers: headers, body: body)
        case .part(let range):
            headers[.contentLength] = String(range.count)
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            let body = try await io.loadFile(path: path, range: range, context: context)
            return Response(status: .partialContent, headers: headers, body: body)
        }
    }
}
