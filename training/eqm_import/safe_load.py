"""Reads PyTorch checkpoints without executing their pickle.

A checkpoint is a file from the internet, and torch.load runs whatever its pickle names.
This reader unpickles with an allow-list: tensors (rebuilt by us from the raw storage
records, never by torch's own rebuild functions), ordered dicts, argparse.Namespace and
primitive types. Any other global is refused with the module and name it asked for.

Tensors come back as LazyTensor handles: the zip record holding their bytes is read only
when .load() is called, so a training checkpoint with model, EMA and optimizer state costs
the memory of the tensors actually used, not of the file.
"""
import argparse
import collections
import io
import pickle
import zipfile

import torch


class UnsafeCheckpointError(Exception):
    """The checkpoint asks for something outside the allow-list, or is not a checkpoint."""


# torch saves a storage's element type as the name of a legacy storage class.
STORAGE_DTYPES = {
    "FloatStorage": torch.float32, "DoubleStorage": torch.float64, "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16, "LongStorage": torch.int64, "IntStorage": torch.int32,
    "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
}


class StorageType:
    """Stands in for torch.<X>Storage during unpickling: only its dtype is kept."""

    def __init__(self, name):
        self.name = name
        self.dtype = STORAGE_DTYPES[name]


class StorageRecord:
    """One storage of the checkpoint: where its bytes are in the zip, not the bytes."""

    def __init__(self, reader, record, dtype, numel):
        self.reader, self.record, self.dtype, self.numel = reader, record, dtype, numel


class LazyTensor:
    """A tensor described by the pickle; .load() reads its bytes from the zip."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset = storage, int(offset)
        self.shape, self.stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)

    @property
    def dtype(self):
        return self.storage.dtype

    def numel(self):
        n = 1
        for s in self.shape:
            n *= s
        return n

    def load(self):
        raw = bytearray(self.storage.reader.read(self.storage.record))
        itemsize = torch.empty((), dtype=self.dtype).element_size()
        if len(raw) < self.storage.numel * itemsize:
            raise UnsafeCheckpointError(f"storage record {self.storage.record} is shorter than its {self.storage.numel} elements")
        flat = torch.frombuffer(raw, dtype=self.dtype) if raw else torch.empty(0, dtype=self.dtype)
        if self.numel() == 0:
            return torch.empty(self.shape, dtype=self.dtype)
        last = self.offset + sum((s - 1) * st for s, st in zip(self.shape, self.stride))
        if self.offset < 0 or last >= flat.numel():
            raise UnsafeCheckpointError(f"tensor view outside its storage record {self.storage.record}")
        view = torch.as_strided(flat, self.shape, self.stride, self.offset)
        # a view of the whole record owns the buffer already; anything else is copied out
        if self.offset == 0 and view.is_contiguous() and self.numel() == flat.numel():
            return view
        return view.clone()

    def __repr__(self):
        return f"LazyTensor({list(self.shape)}, {self.dtype})"


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, backward_hooks=None, *rest):
    if not isinstance(storage, StorageRecord):
        raise UnsafeCheckpointError("a tensor in the pickle does not point at a storage record")
    return LazyTensor(storage, offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, *rest):
    return data


ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("argparse", "Namespace"): argparse.Namespace,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, reader):
        super().__init__(file)
        self.reader = reader

    def find_class(self, module, name):
        if (module, name) in ALLOWED_GLOBALS:
            return ALLOWED_GLOBALS[(module, name)]
        if module == "torch" and name in STORAGE_DTYPES:
            return StorageType(name)
        raise UnsafeCheckpointError(
            f"{self.reader.path}: refused to load: the pickle asks for {module}.{name}, which is not a tensor, "
            "ordered dict, argparse.Namespace or primitive (a checkpoint must hold only weights and settings)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], StorageType)):
            raise UnsafeCheckpointError(f"{self.reader.path}: refused to load: unknown persistent id {pid!r:.80}")
        _, storage_type, key, _location, numel = pid
        return StorageRecord(self.reader, f"{self.reader.prefix}/data/{key}", storage_type.dtype, int(numel))


class ZipCheckpoint:
    """The torch (>= 1.6) zip checkpoint layout: <prefix>/data.pkl and <prefix>/data/<key>."""

    def __init__(self, path):
        self.path = str(path)
        try:
            self.zip = zipfile.ZipFile(self.path)
        except zipfile.BadZipFile:
            with open(self.path, "rb") as f:
                head = f.read(2)
            legacy = head[:1] == b"\x80"
            raise UnsafeCheckpointError(
                f"{self.path}: not a zip-format PyTorch checkpoint"
                + (" (it is the legacy pre-1.6 format: re-save it with torch.save from torch >= 1.6)" if legacy else ""))
        pickles = [n for n in self.zip.namelist() if n.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise UnsafeCheckpointError(f"{self.path}: expected one <name>/data.pkl in the zip, found {len(pickles)}")
        self.prefix = pickles[0][: -len("/data.pkl")]

    def read(self, record):
        try:
            return self.zip.read(record)
        except KeyError:
            raise UnsafeCheckpointError(f"{self.path}: storage record {record} is missing") from None

    def load_pickle(self):
        with self.zip.open(f"{self.prefix}/data.pkl") as f:
            return RestrictedUnpickler(io.BytesIO(f.read()), self).load()

    def close(self):
        self.zip.close()


def load_checkpoint(path):
    """The checkpoint's object tree with LazyTensor leaves; nothing in it is executed."""
    ckpt = ZipCheckpoint(path)
    try:
        return ckpt.load_pickle()
    except UnsafeCheckpointError:
        raise
    except (pickle.UnpicklingError, EOFError, TypeError, ValueError, AttributeError) as error:
        raise UnsafeCheckpointError(f"{path}: the checkpoint's pickle is malformed: {error}") from None
