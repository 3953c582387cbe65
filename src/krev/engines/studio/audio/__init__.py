"""The embedded audio for videos: a music bed synthesized from the prompt's mood, speech clips
placed and mixed over it with the music ducked under them, and the captions timed to them.

Everything is NumPy on 48 kHz stereo float32 (``krev.engines.video.Audio``); no sample files,
no model. Loudness is measured as ITU-R BS.1770 integrated loudness (``loudness``)."""
