"""The ctypes layer under connection.py: C declarations, typed parameters, errors, freeing.

Used by direct.py (inside the admin worker process only: see there why).
The console process may only look symbols up (supports(), client_version()),
which creates no libvirt object.
"""

import ctypes
import ctypes.util
import threading

from domains.libvirt.adapter import VirtError

# libvirt's own error numbers (virterror.h) that callers may want to test for.
VIR_ERR_NO_SUPPORT = 3
VIR_ERR_INVALID_ARG = 8
VIR_ERR_NO_SERVER = 95
VIR_ERR_NO_CLIENT = 96

_TYPED_PARAM_FIELD_LENGTH = 80
_PARAM_INT, _PARAM_UINT, _PARAM_LLONG, _PARAM_ULLONG, _PARAM_DOUBLE, _PARAM_BOOLEAN, _PARAM_STRING = range(1, 8)
UINT_MAX = 2**32 - 1

CLOSE_REASONS = {0: "error", 1: "eof", 2: "keepalive", 3: "client"}


class _ParamValue(ctypes.Union):
    _fields_ = [
        ("i", ctypes.c_int),
        ("ui", ctypes.c_uint),
        ("l", ctypes.c_longlong),
        ("ul", ctypes.c_ulonglong),
        ("d", ctypes.c_double),
        ("b", ctypes.c_char),
        ("s", ctypes.c_char_p),
    ]


class _TypedParam(ctypes.Structure):
    _fields_ = [("field", ctypes.c_char * _TYPED_PARAM_FIELD_LENGTH), ("type", ctypes.c_int), ("value", _ParamValue)]


class _Error(ctypes.Structure):
    # Only the leading members of virError: we never allocate one ourselves.
    _fields_ = [("code", ctypes.c_int), ("domain", ctypes.c_int), ("message", ctypes.c_char_p)]


P = ctypes.c_void_p
PP = ctypes.POINTER(ctypes.c_void_p)
_PARAMS_OUT = ctypes.POINTER(ctypes.POINTER(_TypedParam))
_U, _I = ctypes.c_uint, ctypes.c_int
CloseFunc = ctypes.CFUNCTYPE(None, P, ctypes.c_int, P)

# name: (restype, argtypes); restype P for every pointer we must free ourselves.
_ADMIN_CALLS = {
    "virAdmConnectOpen": (P, [ctypes.c_char_p, _U]),
    "virAdmConnectClose": (_I, [P]),
    "virAdmConnectIsAlive": (_I, [P]),
    "virAdmConnectGetURI": (P, [P]),
    "virAdmConnectGetLibVersion": (_I, [P, ctypes.POINTER(ctypes.c_ulonglong)]),
    "virAdmGetVersion": (_I, [ctypes.POINTER(ctypes.c_ulonglong)]),
    "virAdmConnectRegisterCloseCallback": (_I, [P, CloseFunc, P, P]),
    "virAdmConnectUnregisterCloseCallback": (_I, [P, CloseFunc]),
    "virAdmConnectListServers": (_I, [P, ctypes.POINTER(PP), _U]),
    "virAdmConnectLookupServer": (P, [P, ctypes.c_char_p, _U]),
    "virAdmServerGetName": (ctypes.c_char_p, [P]),
    "virAdmServerFree": (_I, [P]),
    "virAdmServerGetThreadPoolParameters": (_I, [P, _PARAMS_OUT, ctypes.POINTER(_I), _U]),
    "virAdmServerSetThreadPoolParameters": (_I, [P, ctypes.POINTER(_TypedParam), _I, _U]),
    "virAdmServerGetClientLimits": (_I, [P, _PARAMS_OUT, ctypes.POINTER(_I), _U]),
    "virAdmServerSetClientLimits": (_I, [P, ctypes.POINTER(_TypedParam), _I, _U]),
    "virAdmServerListClients": (_I, [P, ctypes.POINTER(PP), _U]),
    "virAdmServerLookupClient": (P, [P, ctypes.c_ulonglong, _U]),
    "virAdmServerUpdateTlsFiles": (_I, [P, _U]),
    "virAdmClientGetID": (ctypes.c_ulonglong, [P]),
    "virAdmClientGetTimestamp": (ctypes.c_longlong, [P]),
    "virAdmClientGetTransport": (_I, [P]),
    "virAdmClientGetInfo": (_I, [P, _PARAMS_OUT, ctypes.POINTER(_I), _U]),
    "virAdmClientClose": (_I, [P, _U]),
    "virAdmClientFree": (_I, [P]),
    "virAdmConnectGetLoggingFilters": (_I, [P, ctypes.POINTER(P), _U]),
    "virAdmConnectGetLoggingOutputs": (_I, [P, ctypes.POINTER(P), _U]),
    "virAdmConnectSetLoggingFilters": (_I, [P, ctypes.c_char_p, _U]),
    "virAdmConnectSetLoggingOutputs": (_I, [P, ctypes.c_char_p, _U]),
    # Since libvirt 8.6.0: looked up lazily, see call().
    "virAdmConnectSetDaemonTimeout": (_I, [P, _U, _U]),
}


class _Libraries:
    """libvirt-admin.so.0 and the libvirt.so.0 it reports errors through, loaded on first use."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loaded = None

    def get(self):
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    @staticmethod
    def _load():
        try:
            admin = ctypes.CDLL("libvirt-admin.so.0")
            virt = ctypes.CDLL("libvirt.so.0")
        except OSError as exc:
            raise VirtError(
                f"cannot load the libvirt admin library ({exc}); install libvirt's client libraries "
                "(Debian: libvirt0) on the console's machine",
                VIR_ERR_NO_SUPPORT,
            ) from exc
        virt.virGetLastError.restype = ctypes.POINTER(_Error)
        virt.virGetLastError.argtypes = []
        virt.virTypedParamsFree.restype = None
        virt.virTypedParamsFree.argtypes = [ctypes.POINTER(_TypedParam), _I]
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.free.restype = None
        libc.free.argtypes = [P]
        return admin, virt, libc


_libraries = _Libraries()


_typed = {}


def function(name):
    """The C function `name`, typed; VirtError if this libvirt is too old to have it."""
    func = _typed.get(name)
    if func is None:
        admin, _virt, _libc = _libraries.get()
        try:
            func = getattr(admin, name)
        except AttributeError:
            raise VirtError(
                f"{name} is not supported by this libvirt (client library {client_version()}); "
                "upgrade libvirt on the console's machine to use it",
                VIR_ERR_NO_SUPPORT,
            ) from None
        func.restype, func.argtypes = _ADMIN_CALLS[name]
        _typed[name] = func
    return func


def call(name, *args):
    return function(name)(*args)


def last_error(name):
    """libvirt's own error for the call that just failed, as a VirtError."""
    _admin, virt, _libc = _libraries.get()
    err = virt.virGetLastError()
    if err and err.contents.message:
        return VirtError(err.contents.message.decode(errors="replace"), err.contents.code)
    return VirtError(f"{name} failed and libvirt gave no reason; see the daemon's log")


def checked(name, *args):
    """Call `name`; a negative result (or NULL pointer) raises libvirt's error."""
    result = call(name, *args)
    failed = result is None if _ADMIN_CALLS[name][0] is P else result < 0
    if failed:
        raise last_error(name)
    return result


def free(pointer):
    if pointer:
        _libraries.get()[2].free(pointer)


def take_string(pointer):
    """Copy a libvirt-allocated C string into Python and free it."""
    if not pointer:
        return ""
    try:
        return ctypes.string_at(pointer).decode(errors="replace")
    finally:
        free(pointer)


def version_text(number):
    return f"{number // 1_000_000}.{number // 1000 % 1000}.{number % 1000}"


def client_version():
    """The version of the libvirt-admin library this process loaded, e.g. "9.0.0"."""
    number = ctypes.c_ulonglong()
    if function("virAdmGetVersion")(ctypes.byref(number)) < 0:
        raise last_error("virAdmGetVersion")
    return version_text(number.value)


def read_params(name, handle, flags=0):
    """Call a virAdm*Get* that fills a typed parameter array; return {field: value}, freed."""
    params = ctypes.POINTER(_TypedParam)()
    count = ctypes.c_int()
    checked(name, handle, ctypes.byref(params), ctypes.byref(count), flags)
    values = {}
    try:
        for index in range(count.value):
            param = params[index]
            key = param.field.decode()
            # Client info may repeat a key for several identities: the first one is the caller's.
            values.setdefault(key, _param_value(param))
    finally:
        _libraries.get()[1].virTypedParamsFree(params, count)
    return values


def _param_value(param):
    kind, value = param.type, param.value
    if kind == _PARAM_STRING:
        return value.s.decode(errors="replace") if value.s else ""
    if kind == _PARAM_BOOLEAN:
        return value.b != b"\0"
    return {
        _PARAM_INT: value.i,
        _PARAM_UINT: value.ui,
        _PARAM_LLONG: value.l,
        _PARAM_ULLONG: value.ul,
        _PARAM_DOUBLE: value.d,
    }.get(kind)


def uint_params(values):
    """A typed parameter array of UINTs from {libvirt field: int}, skipping None."""
    chosen = {key: value for key, value in values.items() if value is not None}
    array = (_TypedParam * len(chosen))()
    for param, (key, value) in zip(array, chosen.items()):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT_MAX:
            raise ValueError(f"{key} must be a whole number from 0 to {UINT_MAX}, not {value!r}")
        param.field = key.encode()
        param.type = _PARAM_UINT
        param.value.ui = value
    return array, len(chosen)


def take_pointer_array(array, count):
    """Copy a libvirt-allocated array of object pointers to a list and free the array (not the objects)."""
    try:
        return [array[index] for index in range(count)]
    finally:
        free(array)
