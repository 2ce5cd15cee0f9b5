package com.acme.users;

import org.springframework.data.jpa.repository.Query;

public interface UserRepository extends JpaRepository<User, Long> {

    @Query("SELECT u FROM User u WHERE u.email = :email AND u.active = true")
    User findActiveByEmail(String email);

    @Query(value = """
            SELECT u.* FROM users u
            JOIN memberships m ON m.user_id = u.id
            WHERE m.organization_id = :org
            """, nativeQuery = true)
    List<User> findByOrganization(long org);

    @Query(nativeQuery = true, value = "SELECT count(*) FROM users WHERE created_at > now() - interval '1 day'")
    long countRecent();

    @Query("SELECT count(u) FROM User u")
    long countAll();
}

class UserDao {
    private static final String UPDATE_NAME = "UPDATE users SET name = ? WHERE id = ?";

    private static final String FIND =
        "SELECT id, email " +
        "FROM users " +
        "WHERE lower(email) = lower(?)";

    void rename(JdbcTemplate jdbc, long id, String name) {
        jdbc.update(UPDATE_NAME, name, id);
        log.info("Update the user name from the admin screen");
    }

    List<User> hql(Session session) {
        return session.createQuery("from User u where u.active = true order by u.email").list();
    }

    void merge(JdbcTemplate jdbc) {
        jdbc.execute("MERGE INTO user_stats s USING daily d ON s.user_id = d.user_id "
            + "WHEN MATCHED THEN UPDATE SET logins = s.logins + d.logins "
            + "WHEN NOT MATCHED THEN INSERT (user_id, logins) VALUES (d.user_id, d.logins)");
    }

    void oracle(JdbcTemplate jdbc) {
        jdbc.execute("SELECT * FROM users WHERE ROWNUM <= 10 CONNECT BY PRIOR id = manager_id");
    }
}
