-- Per song_id the song file modified last wins (a tie goes to the later object name), whatever order the files
-- arrived in: an entry gives way to a staged one of its song_id from a file modified later, or from the same file
-- read again. An entry kept from before files carried their time gives way to any.
DELETE FROM song_catalog
WHERE EXISTS (
    SELECT 1
    FROM {{ staging_songs }} AS staged
    WHERE staged.song_id = song_catalog.song_id
      AND (
          staged.source_object = song_catalog.source_object
          OR song_catalog.source_modified_at IS NULL
          OR staged.source_modified_at > song_catalog.source_modified_at
          OR (
              staged.source_modified_at = song_catalog.source_modified_at
              AND staged.source_object > song_catalog.source_object
          )
      )
);
