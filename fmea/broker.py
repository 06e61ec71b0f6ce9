"""The embedded broker: kombu's filesystem transport, with each message written whole.

kombu creates a message's file under its final name and only then serialises and writes
the message into it. A worker listing the queue folder in between takes the empty file,
fails to decode it and stops ("Unrecoverable error"), and the message is lost. Here the
message is written under a name no queue reads and renamed into place once complete;
a rename within one folder is atomic, so a worker sees the whole message or nothing.
"""

import contextlib
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    """A filesystem channel whose `_put` is atomic."""

    def _put(self, queue, payload, **kwargs):
        body = str_to_bytes(dumps(payload))
        # kombu's naming: the folder sorts by the leading clock, so messages keep order.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # A leading dot and a trailing suffix: `_get` matches "<anything>.<queue>.msg".
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as f:
                f.write(body)
            os.replace(partial, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
