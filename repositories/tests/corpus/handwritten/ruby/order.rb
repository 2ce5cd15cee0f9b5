class Order < ApplicationRecord
  scope :recent, -> { where("created_at > ?", 1.week.ago) }

  def self.totals_by_day
    find_by_sql(<<~SQL.squish)
      SELECT date_trunc('day', created_at) AS day, sum(total) AS total
      FROM orders
      GROUP BY 1
      ORDER BY 1
    SQL
  end

  def self.purge(before)
    connection.execute("DELETE FROM orders WHERE status = 'cancelled' AND created_at < #{connection.quote(before)}")
  end

  def self.search(term)
    find_by_sql(["SELECT * FROM orders WHERE reference ILIKE ?", "%#{term}%"])
  end

  def self.pick_table(name)
    connection.select_value("SELECT count(*) FROM #{name}")
  end

  def notify
    Rails.logger.info "Update sent to the customer for order #{id}"
    errors.add(:base, "Select a shipping method before you continue")
  end
end
