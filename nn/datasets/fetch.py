"""Fetch a file from the first mirror that serves it intact, checked by the md5 of its
uncompressed bytes, written atomically. urllib only, so no extra dependency."""

from __future__ import annotations

import hashlib
import http.client
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from autograd.files import atomic_write
from nn.datasets.idx import CHUNK, DatasetError, uncompressed

# seconds to wait for a connection or for the next bytes; without network we fail fast
TIMEOUT = 5.0

urlopen = urllib.request.urlopen  # module attribute so tests can serve bytes without network


class _NoProgress:
    def update(self, count: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(label: str, total: int | None, enabled: bool):
    if not enabled:
        return _NoProgress()
    print(f"downloading {label}", file=sys.stderr)
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoProgress()
    return tqdm(total=total, unit="B", unit_scale=True, desc=label.rsplit("/", 1)[-1],
                file=sys.stderr, leave=False)


def md5_uncompressed(file: BinaryIO, name: str) -> str:
    """md5 hex digest of the file's bytes, after gunzipping them if they are gzip data."""
    digest = hashlib.md5(usedforsecurity=False)
    with uncompressed(file, name) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url: str, destination: Path, md5: str, progress: bool) -> None:
    with urlopen(url, timeout=TIMEOUT) as response, atomic_write(destination) as out:
        length = response.headers.get("Content-Length")
        bar = _progress_bar(url, int(length) if length else None, progress)
        try:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                bar.update(len(chunk))
        finally:
            bar.close()
        out.flush()
        out.seek(0)
        actual = md5_uncompressed(out, url)
        if actual != md5:
            # raising inside atomic_write discards the download
            raise DatasetError(f"{url}: md5 of the uncompressed data is {actual}, "
                               f"expected {md5}; download discarded")


def download(filename: str, folder: Path, md5: str, mirrors: Sequence[str],
             progress: bool = True) -> str:
    """Save `filename` into `folder` from the first of `mirrors` (URL prefixes) that serves
    bytes with the expected md5; return the mirror used. All failing -> `DatasetError`."""
    failures = []
    for mirror in mirrors:
        url = mirror + filename
        try:
            _fetch(url, folder / filename, md5, progress)
            return mirror
        except (OSError, http.client.HTTPException, DatasetError) as error:
            # URLError, HTTPError and timeouts are OSErrors; try the next mirror
            failures.append(f"  {url}: {error}")
    raise DatasetError(f"could not download {filename}:\n" + "\n".join(failures))
