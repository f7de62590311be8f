package wxgate

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"

	mpv1 "wxgate.dev/go/gen/wechat/mp/v1"
	filev1 "wxgate.dev/go/gen/wxgate/file/v1"
)

// PieceSize is how many bytes of a file each upload message carries.
const PieceSize = 64 << 10

// SendPieces reads r to its end and sends each piece of up to PieceSize bytes as
// a message made by piece (first is true for the first; an empty file is one
// empty piece). It is the loop of every client-streaming upload.
func SendPieces[Req any](r io.Reader, send func(Req) error, piece func(content []byte, first bool) Req) error {
	buf := make([]byte, PieceSize)
	for first := true; ; first = false {
		n, err := io.ReadFull(r, buf)
		if errors.Is(err, io.ErrUnexpectedEOF) || (errors.Is(err, io.EOF) && first) {
			err = nil // a last, short piece (or an empty file)
		} else if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := send(piece(append([]byte(nil), buf[:n]...), first)); err != nil {
			return err
		}
		if n < len(buf) {
			return nil
		}
	}
}

// UploadMedia uploads a temporary media file read from r in pieces
// (MaterialService/UploadMedia); filename's extension tells WeChat the format.
func UploadMedia(ctx context.Context, material mpv1.MaterialServiceClient, kind mpv1.MaterialMediaType,
	filename string, r io.Reader) (*mpv1.UploadMediaResponse, error) {
	stream, err := material.UploadMedia(ctx)
	if err != nil {
		return nil, err
	}
	err = SendPieces(r, stream.Send, func(content []byte, first bool) *mpv1.UploadMediaRequest {
		req := &mpv1.UploadMediaRequest{Media: &filev1.UploadFile{Content: content}}
		if first {
			req.Type, req.Media.Filename = kind, filename
		}
		return req
	})
	if err != nil && !errors.Is(err, io.EOF) { // io.EOF: the server ended the call; see CloseAndRecv
		stream.CloseSend()
		return nil, err
	}
	return stream.CloseAndRecv()
}

// UploadMediaFile uploads the file at path, named by its base name.
func UploadMediaFile(ctx context.Context, material mpv1.MaterialServiceClient, kind mpv1.MaterialMediaType,
	path string) (*mpv1.UploadMediaResponse, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return UploadMedia(ctx, material, kind, filepath.Base(path), f)
}

// ReceiveFile writes a download's chunks to w and returns the first chunk's
// metadata (content type, name, size; its data cleared). It serves every download
// stream: GetMedia, GetMaterial, GetHdVoice, GetQrcodeImage, DownloadNontaxBill.
func ReceiveFile[Resp interface{ GetFile() *filev1.FileChunk }](recv func() (Resp, error), w io.Writer) (*filev1.FileChunk, error) {
	var meta *filev1.FileChunk
	for {
		resp, err := recv()
		if errors.Is(err, io.EOF) {
			if meta == nil {
				return nil, errors.New("wxgate: the download carried no file")
			}
			return meta, nil
		}
		if err != nil {
			return nil, err
		}
		chunk := resp.GetFile()
		if chunk == nil {
			return nil, errors.New("wxgate: the download answered without a file (a video's URL?)")
		}
		if meta == nil {
			meta = &filev1.FileChunk{ContentType: chunk.GetContentType(), Filename: chunk.GetFilename(), Size: chunk.GetSize()}
		}
		if _, err := w.Write(chunk.GetData()); err != nil {
			return nil, err
		}
	}
}

// DownloadMediaFile writes the temporary media mediaID to the file at path.
func DownloadMediaFile(ctx context.Context, material mpv1.MaterialServiceClient, mediaID, path string) (*filev1.FileChunk, error) {
	stream, err := material.GetMedia(ctx, &mpv1.GetMediaRequest{MediaId: mediaID})
	if err != nil {
		return nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	meta, err := ReceiveFile(stream.Recv, f)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	return meta, err
}
