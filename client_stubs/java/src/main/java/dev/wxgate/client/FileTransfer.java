package dev.wxgate.client;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.BiFunction;
import java.util.function.Function;
import wechat.mp.v1.Material.GetMediaRequest;
import wechat.mp.v1.Material.GetMediaResponse;
import wechat.mp.v1.Material.MaterialMediaType;
import wechat.mp.v1.Material.UploadMediaRequest;
import wechat.mp.v1.Material.UploadMediaResponse;
import wechat.mp.v1.MaterialServiceGrpc.MaterialServiceBlockingStub;
import wechat.mp.v1.MaterialServiceGrpc.MaterialServiceStub;
import wxgate.file.v1.File.FileChunk;
import wxgate.file.v1.File.UploadFile;

/** Files in pieces: client-streaming uploads from a stream or file, downloads to a stream or file. */
public final class FileTransfer {
  /** How many bytes of a file each upload message carries. */
  public static final int PIECE_SIZE = 64 * 1024;

  private FileTransfer() {}

  /**
   * Sends {@code in} through a client-streaming upload, one message per piece of at
   * most {@link #PIECE_SIZE} bytes, and waits for the answer. {@code start} opens the
   * call (e.g. {@code material::uploadMedia}); {@code piece} makes a message from a
   * piece, the first one carrying the other fields.
   */
  public static <Q, R> R upload(Function<StreamObserver<R>, StreamObserver<Q>> start, InputStream in,
      BiFunction<ByteString, Boolean, Q> piece) throws IOException {
    CompletableFuture<R> answer = new CompletableFuture<>();
    StreamObserver<Q> requests = start.apply(new StreamObserver<>() {
      @Override
      public void onNext(R value) {
        answer.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    try {
      byte[] buf = new byte[PIECE_SIZE];
      boolean first = true;
      int n;
      while ((n = in.readNBytes(buf, 0, buf.length)) > 0 || first) {
        requests.onNext(piece.apply(ByteString.copyFrom(buf, 0, n), first));
        first = false;
        if (n < buf.length || answer.isDone()) break;
      }
      requests.onCompleted();
    } catch (IOException | RuntimeException e) {
      requests.onError(e);
      throw e;
    }
    try {
      return answer.get();
    } catch (ExecutionException e) {
      throw WxgateException.from(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Uploads temporary media (MaterialService/UploadMedia); filename's extension tells WeChat the format. */
  public static UploadMediaResponse uploadMedia(MaterialServiceStub material, MaterialMediaType type,
      String filename, InputStream in) throws IOException {
    return upload(material::uploadMedia, in, (content, first) -> {
      UploadFile.Builder file = UploadFile.newBuilder().setContent(content);
      UploadMediaRequest.Builder request = UploadMediaRequest.newBuilder();
      if (first) {
        file.setFilename(filename);
        request.setType(type);
      }
      return request.setMedia(file).build();
    });
  }

  /** Uploads the file at path, named by its file name. */
  public static UploadMediaResponse uploadMedia(MaterialServiceStub material, MaterialMediaType type,
      Path path) throws IOException {
    try (InputStream in = Files.newInputStream(path)) {
      return uploadMedia(material, type, path.getFileName().toString(), in);
    }
  }

  /**
   * Writes a download stream's file (GetMedia, GetMaterial, GetHdVoice, GetQrcodeImage,
   * DownloadNontaxBill; {@code file} picks the FileChunk of a message) to {@code out},
   * and returns the first chunk's metadata (content type, name, size; no data).
   */
  public static <T> FileChunk download(Iterator<T> stream, Function<T, FileChunk> file, OutputStream out)
      throws IOException {
    FileChunk meta = null;
    try {
      while (stream.hasNext()) {
        T message = stream.next();
        FileChunk chunk = file.apply(message);
        if (chunk == null || chunk.equals(FileChunk.getDefaultInstance()) && meta == null) {
          throw new IOException("the download answered without a file (a video's URL?)");
        }
        if (meta == null) meta = chunk.toBuilder().clearData().build();
        chunk.getData().writeTo(out);
      }
    } catch (RuntimeException e) {
      throw WxgateException.from(e);
    }
    if (meta == null) throw new IOException("the download carried no file");
    return meta;
  }

  /** Writes the temporary media mediaId to the file at path. */
  public static FileChunk downloadMedia(MaterialServiceBlockingStub material, String mediaId, Path path)
      throws IOException {
    Iterator<GetMediaResponse> stream =
        material.getMedia(GetMediaRequest.newBuilder().setMediaId(mediaId).build());
    try (OutputStream out = Files.newOutputStream(path)) {
      return download(stream, GetMediaResponse::getFile, out);
    }
  }
}
